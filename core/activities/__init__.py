"""Group activities: supervision, café meetups, interest groups, events and info meetings."""
