"""``vejle_85``: the target group of Vejle's Peer-to-Peer.

A mentee (the peer who is supported) is eligible when receiving support under § 85 of the
Social Services Act, or living in a botilbud, or on the way to moving into their own home.
"""

from __future__ import annotations

from core.plugin_api import IntakeField, PersonContext, Role, Verdict, hookimpl

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

RULE = "vejle_85"
WAYS_IN = (
    ("paragraf_85", "Modtager støtte efter servicelovens § 85"),
    ("botilbud", "Bor i botilbud"),
    ("paa_vej_i_egen_bolig", "Er på vej til at flytte i egen bolig"),
)
THREE_WAYS_IN = (
    "borgeren skal modtage støtte efter servicelovens § 85, bo i botilbud "
    "eller være på vej til at flytte i egen bolig"
)


@hookimpl
def intake_fields() -> list[IntakeField]:
    return [
        IntakeField(name=name, type="boolean", label=label, roles=("mentee",))
        for name, label in WAYS_IN
    ]


@hookimpl
def eligibility_verdicts(person: PersonContext, role: Role) -> Verdict | None:
    if role != "mentee":
        return None
    answers = [person.get(f"{RULE}.{name}") for name, _ in WAYS_IN]
    if any(answer is True for answer in answers):
        return Verdict.passed(RULE, "Er i målgruppen for Peer-to-Peer.")
    if any(answer is None for answer in answers):
        return Verdict.unknown(RULE, f"Oplysninger mangler: {THREE_WAYS_IN}.")
    return Verdict.failed(RULE, f"Ikke i målgruppen for Peer-to-Peer: {THREE_WAYS_IN}.")
