"""A mentor needs a recent criminal record certificate (straffeattest)."""

import datetime as dt

import msgspec

from core.plugin_api import IntakeField, Verdict, hookimpl

MAKKER_PLUGIN_API = ">=1.0,<2"
RULE = "straffeattest"


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    max_age_days: int = 365


@hookimpl
def plugin_config_schema():
    return Config


@hookimpl
def intake_fields():
    return IntakeField(
        name="received_on",
        type="date",
        label="Straffeattest modtaget",
        roles=("mentor",),
        not_in_future=True,
    )


@hookimpl
def eligibility_verdicts(programme, person, role, today):
    if role != "mentor":
        return None
    received: dt.date | None = person.get("straffeattest.received_on")
    if received is None:
        return Verdict.unknown(RULE, "Straffeattest mangler.")
    max_age = programme.config(Config).max_age_days
    if (today - received).days > max_age:
        return Verdict.failed(RULE, f"Straffeattesten er ældre end {max_age} dage.")
    return Verdict.passed(RULE, f"Straffeattest modtaget {received.isoformat()}.")
