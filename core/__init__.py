"""Makker: the tenant-aware core of the peer-mentor platform."""

__version__ = "0.1.0"
