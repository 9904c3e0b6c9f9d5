"""Tenants (municipalities and partner organisations) and their programmes."""
