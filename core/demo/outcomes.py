"""The demo's questionnaire answers, through :func:`core.outcomes.answers.answer` on the days
they were given - a few days after each occasion opened (:mod:`core.outcomes.schedule`), on the
demo's clock, so every answer falls inside its window as the command requires.

Each person of a forløb has a fictional trajectory: a citizen starts low (WHO-5 about 38 of 100)
and improves by about 13 points over a completed forløb, with a wide spread (some get worse);
less over a forløb ended early, and a little of it fades by the follow-up. A mentor starts
higher and changes little. Every instrument follows the same trajectory on its own scale, each
item with its own noise. Some occasions are never answered - more often the end of a forløb
ended early - and stay *missed*: they are counted in a programme's result, never filled in.

Answers are the person's own (``self``), except the end questionnaires of a few citizens whose
forløb is over, given in the ending conversation with the coordinator (``conversation``,
:data:`DEMO_CONVERSATIONS`). A questionnaire of a citizen with a demo sign-in that is still open
when the demo is seeded is left for them: ``vejle-borger`` (Anna Demosen) has her three
Peer-to-Peer start questionnaires due. Answers still ahead of the seeding day stay due too.

The trajectories are spread evenly over their distributions (:func:`_spread`); every other
choice is drawn from a generator seeded by the tenant, programme, forløb (its citizen) and
occasion - so the demo is the same whatever the day of the first seeding.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from statistics import NormalDist

from core.demo.base import Demo
from core.demo.data import DEMO_ACCOUNTS
from core.demo.plan import PairPlan
from core.forloeb.lifecycle import add_months
from core.forloeb.rows import get_forloeb
from core.outcomes.answers import answer, forloeb_dates, schedule_rules
from core.outcomes.instruments import registered_instruments
from core.outcomes.models import CONVERSATION, SELF
from core.outcomes.schedule import Occasion, OccasionKind, ScheduleRule, occasions
from core.plugin_api import Instrument
from core.tenancy.models import Programme

#: Per programme: the forløb that are over (their number in the plan's ``done``) whose citizen
#: gave the end questionnaires in a conversation with the coordinator.
DEMO_CONVERSATIONS: dict[str, tuple[int, ...]] = {
    "borger-til-borger": (3, 11),
    "peer-to-peer": (1,),
}
#: A person answers this many days after the occasion opened, at most (within the window).
ANSWER_WITHIN_DAYS = 9
#: How likely an occasion is left unanswered (missed), by kind; the end of a forløb ended early
#: more often.
MISSED = {
    OccasionKind.BASELINE: 0.06,
    OccasionKind.INTERIM: 0.2,
    OccasionKind.END: 0.1,
    OccasionKind.FOLLOW_UP: 0.35,
}
MISSED_END_AFTER_EARLY_END = 0.6
#: Trajectories on a 0-1 scale (the instrument's lowest to highest score): the level at the
#: start (mean, spread) and the change over a completed forløb (mean, spread), by role.
START = {"mentee": (0.38, 0.12), "mentor": (0.66, 0.10)}
CHANGE = {"mentee": (0.13, 0.12), "mentor": (0.03, 0.05)}
#: Of the change, what is left at the follow-up.
KEPT_AT_FOLLOW_UP = 0.85
#: Noise of one occasion's level and of one item's answer (0-1 scale).
OCCASION_NOISE = 0.04
ITEM_NOISE = 0.07


def _rng(demo: Demo, programme: Programme, *parts: str) -> random.Random:
    return random.Random("/".join((demo.tenant.slug, programme.slug, *parts)))


def _progress(occasion: Occasion, pair: PairPlan, planned_end: dt.date) -> float:
    """How far along the forløb the occasion lies: 0 at the start, 1 at a planned end."""
    if occasion.kind == OccasionKind.BASELINE:
        return 0.0
    whole = max((planned_end - pair.started_on).days, 1)
    if occasion.kind == OccasionKind.INTERIM:
        return min((occasion.opens_on - pair.started_on).days / whole, 1.0)
    end = pair.ended_on or planned_end
    done = min((end - pair.started_on).days / whole, 1.0)
    return done * (KEPT_AT_FOLLOW_UP if occasion.kind == OccasionKind.FOLLOW_UP else 1.0)


def _answers(instrument: Instrument, level: float, rng: random.Random) -> dict[str, int]:
    """Answers to every item at ``level`` (0-1 of the scale), reversed items answered the other
    way, so that the score lands near the level."""
    low, high = instrument.item_min, instrument.item_max
    out: dict[str, int] = {}
    for item in instrument.items:
        value = low + round((high - low) * (level + rng.gauss(0, ITEM_NOISE)))
        value = min(max(value, low), high)
        out[item.key] = low + high - value if item.reversed else value
    return out


#: Irrational steps of the low-discrepancy sequences that spread the trajectories.
GOLDEN, SQRT2 = (5**0.5 - 1) / 2, 2**0.5 - 1


def _spread(index: int, step: float, offset: int) -> float:
    """The ``index``-th point (0-1, never 0 or 1) of an evenly spread sequence: the forløb of a
    programme take their trajectories from every part of the distribution, so even a programme
    with six forløb that are over shows about the intended mean change, with its spread."""
    return ((index + 0.5) * step + offset * 0.5) % 1


def _rule(rules: list[ScheduleRule], occasion: Occasion) -> ScheduleRule:
    return next(r for r in rules if r.instrument == occasion.instrument)


async def seed_answers(
    demo: Demo, programme: Programme, pair: PairPlan, forloeb_id: uuid.UUID
) -> int:
    """The answers of one demo forløb just seeded; returns how many were sent."""
    instruments = registered_instruments(demo.plugins)
    rules = [r for r in schedule_rules(programme) if r.instrument in instruments]
    if not rules:
        return 0
    row = await get_forloeb(demo.session, forloeb_id)
    dates = await forloeb_dates(demo.ctx(), row)
    planned_end = add_months(pair.started_on, pair.planned_months)
    names = {"mentee": pair.mentee, "mentor": pair.mentor}
    signed_in = {name for tenant, _u, _p, _r, name in DEMO_ACCOUNTS if tenant == demo.tenant.slug}
    by_conversation = pair.outcome is not None and pair.index in DEMO_CONVERSATIONS.get(
        programme.slug, ()
    )
    people: dict[str, tuple[float, float]] = {}
    for k, role in enumerate(("mentee", "mentor")):
        start = NormalDist(*START[role]).inv_cdf(_spread(pair.index, SQRT2, k))
        change = NormalDist(*CHANGE[role]).inv_cdf(_spread(pair.index, GOLDEN, k))
        if pair.outcome == "ended_early":
            change *= 0.5
        people[role] = (min(max(start, 0.05), 0.9), change)
    sent = 0
    for occasion in occasions(rules, dates, demo.today):
        rule = _rule(rules, occasion)
        name = names[occasion.role]
        # Whether and when the person answers: the same for every instrument of the occasion
        # (they answer them together); the answers themselves are each instrument's own.
        when = _rng(
            demo, programme, pair.mentee, occasion.role, occasion.kind, str(occasion.number)
        )
        rng = _rng(demo, programme, pair.mentee, occasion.key)
        if occasion.role == "mentee" and name in signed_in and occasion.closes_on >= demo.today:
            continue  # left for the demo user to answer
        conversation = (
            by_conversation and occasion.role == "mentee" and occasion.kind == OccasionKind.END
        )
        missed = MISSED[occasion.kind]
        if occasion.kind == OccasionKind.END and pair.outcome == "ended_early":
            missed = MISSED_END_AFTER_EARLY_END
        if when.random() < missed and not conversation:
            continue
        window = rule.baseline_within_days if occasion.kind == OccasionKind.BASELINE else 0
        window = window or rule.window_days
        day = occasion.opens_on + dt.timedelta(
            days=when.randint(0, min(window - 1, ANSWER_WITHIN_DAYS))
        )
        if day >= demo.today:
            continue  # not yet: the questionnaire is due now
        start, change = people[occasion.role]
        level = start + change * _progress(occasion, pair, planned_end)
        level += rng.gauss(0, OCCASION_NOISE)
        values = _answers(instruments[occasion.instrument], level, rng)
        with demo.on(day, hour=12 + when.randint(0, 8)):
            await answer(
                demo.ctx(),
                forloeb_id,
                occasion.key,
                values,
                submit=True,
                entered_as=CONVERSATION if conversation else SELF,
            )
        sent += 1
    return sent
