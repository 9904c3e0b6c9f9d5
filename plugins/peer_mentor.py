"""The ``peer_mentor`` programme type and the ``manual`` matching strategy (built-in defaults)."""

from __future__ import annotations

from core.plugin_api import DurationMonths, MatchingStrategy, ProgrammeType, hookimpl

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"


@hookimpl(trylast=True)
def register_programme_types() -> ProgrammeType:
    return ProgrammeType(
        name="peer_mentor",
        description={
            "da": "En mentor med levet erfaring og en borger mødes i et forløb.",
            "en": "A mentor with lived experience and a citizen meet over a forløb.",
        },
        default_duration_months=DurationMonths(6, 9),
        default_meeting_frequencies=("weekly", "fortnightly"),
    )


@hookimpl(trylast=True)
def register_matching_strategies() -> MatchingStrategy:
    return MatchingStrategy(
        name="manual",
        description="Koordinatoren foreslår parrene manuelt.",
    )
