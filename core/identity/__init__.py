"""Identity and access: token validation, principals, sessions, guards, development issuer."""
