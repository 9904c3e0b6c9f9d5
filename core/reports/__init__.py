"""Reports (issue 14): the coordinator's overview, the savings estimate, exports and charts
(:mod:`core.reports.overview`, :mod:`core.reports.savings`, :mod:`core.reports.exports`,
:mod:`core.reports.charts`), and the partner's aggregate, small-number suppression and the
platform report. Reports are SQL aggregates over the tenant's tables; see ``docs/reports.md``."""
