"""Clearly fictional demo data for the shipped tenants (``makker demo``), seeded through the
domains' commands so it obeys the same rules as a coordinator's work: :mod:`core.demo.data`
(the people and plans), :mod:`core.demo.seed` (the order), one module per area."""

from core.demo.data import (
    DEMO_ACCOUNTS,
    DEMO_ENROLMENTS,
    DEMO_WAITING_PEOPLE,
    FICTIONAL_SURNAMES,
    FIRST_NAMES,
    demo_account,
    demo_contact,
    demo_forloeb_plan,
    demo_names,
)
from core.demo.plan import programme_plan
from core.demo.seed import seed_demo

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_ENROLMENTS",
    "DEMO_WAITING_PEOPLE",
    "FICTIONAL_SURNAMES",
    "FIRST_NAMES",
    "demo_account",
    "demo_contact",
    "demo_forloeb_plan",
    "demo_names",
    "programme_plan",
    "seed_demo",
]
