"""Matching mentees with mentors: profiles, strategies (plugins), global assignment."""
