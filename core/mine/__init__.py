"""A mentors or mentees own page ("Mit forløb") and the link from a sign-in to a person."""
