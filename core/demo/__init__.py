"""Clearly fictional demo data for the shipped tenants (``makker demo``), seeded through the
domains' commands so it obeys the same rules as a coordinator's work: :mod:`core.demo.data`
(the people and plans), :mod:`core.demo.seed` (the order), one module per area."""

from core.demo.data import (
    DEMO_ACCOUNTS,
    DEMO_ENROLMENTS,
    FICTIONAL_SURNAMES,
    FIRST_NAMES,
    demo_account,
    demo_forloeb_plan,
    demo_names,
)
from core.demo.seed import seed_demo
from core.demo.waiting import DEMO_WAITING_PEOPLE

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_ENROLMENTS",
    "DEMO_WAITING_PEOPLE",
    "FICTIONAL_SURNAMES",
    "FIRST_NAMES",
    "demo_account",
    "demo_forloeb_plan",
    "demo_names",
    "seed_demo",
]
