"""People known to a tenant (citizens and mentors)."""
