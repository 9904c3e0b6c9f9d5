"""``lived_experience``: a mentor has lived experience in the programme's areas and is ready.

The mentor states the areas of their own experience (psykiatri, handicap, misbrug); at least one
must be an area of the programme. The coordinator judges at intake whether the mentor is ready
to hold others ("klar til at rumme andre").
"""

from __future__ import annotations

from core.plugin_api import (
    IntakeField,
    PersonContext,
    ProgrammeContext,
    Role,
    Verdict,
    hookimpl,
)

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

RULE = "lived_experience"
AREAS = ("psykiatri", "handicap", "misbrug")


@hookimpl
def intake_fields() -> list[IntakeField]:
    return [
        IntakeField(
            name="areas",
            type="choices",
            choices=AREAS,
            label="Egen erfaring med",
            help="Områder, hvor mentoren selv har levet erfaring.",
            roles=("mentor",),
        ),
        IntakeField(
            name="ready_to_hold_others",
            type="boolean",
            label="Klar til at rumme andre",
            help="Koordinatorens vurdering ved intake.",
            roles=("mentor",),
        ),
    ]


@hookimpl
def eligibility_verdicts(
    programme: ProgrammeContext, person: PersonContext, role: Role
) -> Verdict | None:
    if role != "mentor":
        return None
    areas: list[str] | None = person.get(f"{RULE}.areas")
    ready: bool | None = person.get(f"{RULE}.ready_to_hold_others")
    wanted = ", ".join(programme.areas)
    if not areas:
        return Verdict.unknown(RULE, f"Egen erfaring er ikke oplyst (programmet: {wanted}).")
    if not set(areas) & set(programme.areas):
        return Verdict.failed(
            RULE,
            f"Har egen erfaring med {', '.join(areas)}, men programmet kræver erfaring med "
            f"{wanted}.",
        )
    if ready is None:
        return Verdict.unknown(
            RULE, "Det er ikke vurderet, om mentoren er klar til at rumme andre."
        )
    if not ready:
        return Verdict.failed(RULE, "Mentoren er vurderet ikke klar til at rumme andre endnu.")
    return Verdict.passed(
        RULE, "Har egen erfaring inden for programmets områder og er klar til at rumme andre."
    )
