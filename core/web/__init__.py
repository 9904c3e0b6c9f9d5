"""Web layer: layout, i18n, static files, middleware shared by all domains."""
