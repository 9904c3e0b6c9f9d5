"""Who has access to a tenant: invitations, members and their roles (issue 17).

See ``docs/access.md``."""
