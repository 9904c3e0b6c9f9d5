"""Makker's built-in plugins. Each module is registered exactly like a third-party plugin and
imports nothing from the core but :mod:`core.plugin_api` (see ``docs/plugins.md``)."""
