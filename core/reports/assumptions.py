"""The savings estimate's assumptions: the tenant file's ``[programmes.savings]`` table and
the values a tenant admin edits (the same fields, the same bounds).

Kept free of database imports, so :mod:`core.tenancy.config` can validate a tenant file with
it. What each assumption means and how the estimate uses it: :mod:`core.reports.savings` and
``docs/reports.md``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Hours = Annotated[float, msgspec.Meta(ge=0, le=100)]
Kroner = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
Note = Annotated[str, msgspec.Meta(max_length=500)]

#: The assumptions in the order the pages, exports and the tenant file list them.
ASSUMPTION_FIELDS = (
    "support_hours_per_fortnight",
    "hourly_cost",
    "share_otherwise_supported_percent",
    "coordinator_hours_per_week",
    "coordinator_hourly_cost",
)


class SavingsAssumptions(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[programmes.savings]``: what one forløb replaces and what running the programme costs.

    * ``support_hours_per_fortnight`` - hours of paid support (a støttekontaktperson) a citizen
      in a forløb no longer gets, per 14 days;
    * ``hourly_cost`` - the municipality's price of one such hour, in whole kroner;
    * ``share_otherwise_supported_percent`` - of the citizens in forløb, the share (0-100) who
      would otherwise receive that support;
    * ``coordinator_hours_per_week`` and ``coordinator_hourly_cost`` - the staff time that runs
      the programme (matching, courses, supervision) and its price: the effort's cost;
    * ``note`` - where the figures come from (shown beside them).
    """

    support_hours_per_fortnight: Hours
    hourly_cost: Kroner
    share_otherwise_supported_percent: Percent
    coordinator_hours_per_week: Hours = 0.0
    coordinator_hourly_cost: Kroner = 0
    note: Note = ""
