"""Reminders and notifications by e-mail, SMS and on the page (docs/notifications.md)."""
