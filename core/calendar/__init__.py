"""iCalendar feeds: per person behind a revocable link, and published info meetings."""
