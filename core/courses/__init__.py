"""Mentor courses (hold): sessions, participants, attendance and completion."""
