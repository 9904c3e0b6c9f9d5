"""Warn when a forløb's pause runs over 60 days, and count the forløb that end early."""

from collections import Counter

from core.plugin_api import PolicyAction, PolicyDecision, Transition, hookimpl

MAKKER_PLUGIN_API = ">=1.0,<2"
RULE = "lang_pause"
MAX_DAYS = 60
#: Forløb ended early, by programme (a real plugin would send this somewhere).
ENDED_EARLY: Counter[str] = Counter()


def _warn(da: str, en: str) -> PolicyDecision:
    return PolicyDecision(rule=RULE, action=PolicyAction.WARN, message={"da": da, "en": en})


@hookimpl
def forloeb_policy(transition: Transition):
    # Asked once per party of a forløb: answer for the mentee's transition only.
    if transition.kind != "forloeb" or transition.role != "mentee":
        return None
    if transition.to_status == "paused" and transition.planned_resume is not None:
        days = (transition.planned_resume - transition.on).days
        if days > MAX_DAYS:
            return _warn(
                f"Pausen er planlagt til {days} dage - mere end {MAX_DAYS}.",
                f"The pause is planned for {days} days - more than {MAX_DAYS}.",
            )
    elif transition.from_status == "paused":
        days = transition.paused_days or 0
        if days > MAX_DAYS:
            return _warn(
                f"Pausen har varet {days} dage - mere end {MAX_DAYS}. Tal med parret.",
                f"The pause has lasted {days} days - more than {MAX_DAYS}. Talk to the pair.",
            )
    return None


@hookimpl
def forloeb_event(programme, transition: Transition):
    ended = transition.kind == "forloeb" and transition.to_status == "ended_early"
    if ended and transition.role == "mentee":  # once per forløb, not per party
        ENDED_EARLY[programme.slug] += 1
