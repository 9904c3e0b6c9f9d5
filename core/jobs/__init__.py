"""Background jobs: the periodic tick (:mod:`core.jobs.tick`) on procrastinate's PostgreSQL
queue (``makker worker``, :mod:`core.jobs.queue`), or inside the app on SQLite
(:mod:`core.jobs.inprocess`). docs/notifications.md says why procrastinate."""
