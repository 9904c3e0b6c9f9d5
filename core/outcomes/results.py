"""What the answers show: the questionnaires due, a person's trajectory, a programme's result.

- :func:`due_in_tenant` - the open occasions of every forløb (coordinators' attention list);
- :func:`due_for_person` - the person's own open occasions ("Mit forløb");
- :func:`trajectory` - a person's sent answers per instrument, oldest first;
- :func:`programme_result` - paired change from baseline to end per instrument and role, for
  the forløb of a programme that ended in a period: n, mean change, a 95 % confidence interval
  (Student's t, :mod:`scipy.stats`), the share with a meaningful improvement, and the forløb
  whose baseline or end is missing - counted, never imputed.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field

from scipy import stats
from sqlalchemy import or_, select

from core.context import Context
from core.errors import Invalid, NotFound
from core.forloeb.access import COORDINATOR, acts_as_coordinator
from core.forloeb.models import Forloeb
from core.forloeb.rows import ForloebRow, list_forloeb, party_of
from core.mine.queries import person_for_account
from core.outcomes.answers import OccasionView, answers_hidden, questionnaires_of_row
from core.outcomes.instruments import registered_instruments
from core.outcomes.models import SUBMITTED, QuestionnaireResponse
from core.outcomes.schedule import OccasionKind, OccasionStatus
from core.participants.consent import active_consent
from core.participants.lookup import get_person, get_programme
from core.participants.models import Person
from core.plugin_api import Instrument
from core.web.i18n import gettext as _

#: Ended forløb stay on the due list this long (the end and follow-up occasions).
ENDED_LOOKBACK_DAYS = 800


@dataclass(frozen=True)
class DueLine:
    row: ForloebRow
    view: OccasionView

    @property
    def person(self) -> Person:
        return self.row.mentee if self.view.occasion.role == "mentee" else self.row.mentor


async def _rows_with_schedules(ctx: Context) -> list[ForloebRow]:
    since = ctx.today() - dt.timedelta(days=ENDED_LOOKBACK_DAYS)
    rows = await list_forloeb(
        ctx.session,
        where=(
            Forloeb.started_on.is_not(None),
            or_(Forloeb.ended_on.is_(None), Forloeb.ended_on >= since),
        ),
    )
    return [r for r in rows if r.programme.outcomes]


async def _consenting(ctx: Context, row: ForloebRow) -> set[str]:
    """The parties of the forløb whose enrolment has consent now (a questionnaire of one who
    withdrew it can no longer be answered, so it is not due)."""
    parties = (("mentee", row.mentee_enrolment), ("mentor", row.mentor_enrolment))
    return {p for p, e in parties if await active_consent(ctx.session, e.id) is not None}


async def due_in_tenant(ctx: Context) -> list[DueLine]:
    """Every open (due) occasion of the tenant's forløb, the soonest closing first."""
    lines: list[DueLine] = []
    for row in await _rows_with_schedules(ctx):
        found = await questionnaires_of_row(ctx, row, COORDINATOR)
        due = found.due()
        if due:
            consenting = await _consenting(ctx, row)
            lines.extend(DueLine(row, v) for v in due if v.occasion.role in consenting)
    lines.sort(key=lambda d: (d.view.occasion.closes_on, d.person.name))
    return lines


async def due_for_person(ctx: Context, person: Person) -> list[DueLine]:
    """The person's own open occasions (as citizen or mentor), the soonest closing first."""
    lines: list[DueLine] = []
    for row in await _rows_with_schedules(ctx):
        party = party_of(row, person)
        if party is None:
            continue
        found = await questionnaires_of_row(ctx, row, party)
        if found.due() and party in await _consenting(ctx, row):
            lines.extend(DueLine(row, v) for v in found.due())
    lines.sort(key=lambda d: d.view.occasion.closes_on)
    return lines


@dataclass(frozen=True)
class Point:
    response: QuestionnaireResponse

    @property
    def day(self) -> dt.date:
        return self.response.occasion_date


@dataclass(frozen=True)
class Trajectory:
    instrument: Instrument
    role: str
    points: list[Point]


async def trajectory(ctx: Context, person_id: uuid.UUID) -> tuple[Person, list[Trajectory]]:
    """A person's sent answers (the current version of each occasion) per instrument and role.

    For coordinators, and for the person themselves; anyone else gets 404."""
    person = await get_person(ctx.session, person_id)
    if answers_hidden(ctx):
        return person, []
    if not acts_as_coordinator(ctx):
        own = await person_for_account(ctx.session, ctx.user_id) if ctx.user_id else None
        if own is None or own.id != person.id:
            raise NotFound()
    instruments = registered_instruments(ctx.plugins)
    rows = list(
        await ctx.session.scalars(
            select(QuestionnaireResponse)
            .where(
                QuestionnaireResponse.person_id == person.id,
                QuestionnaireResponse.status == SUBMITTED,
            )
            .order_by(QuestionnaireResponse.occasion_date, QuestionnaireResponse.version)
        )
    )
    current: dict[tuple[uuid.UUID, str], QuestionnaireResponse] = {}
    for r in rows:  # later versions replace earlier ones
        current[(r.forloeb_id, r.occasion)] = r
    grouped: dict[tuple[str, str], list[Point]] = {}
    for r in sorted(current.values(), key=lambda r: (r.occasion_date, r.created_at)):
        if r.instrument in instruments:
            grouped.setdefault((r.instrument, r.role), []).append(Point(r))
    return person, [
        Trajectory(instruments[i], role, points) for (i, role), points in grouped.items()
    ]


@dataclass(frozen=True)
class Change:
    """Paired change of one measure (the total, or one item of an ``items`` instrument)."""

    measure: str
    n: int
    mean_change: float | None
    ci_low: float | None
    ci_high: float | None
    #: Of the n pairs: how many improved by at least the meaningful change (``None`` when the
    #: instrument publishes none).
    improved: int | None
    mean_baseline: float | None
    mean_end: float | None

    @property
    def improved_share(self) -> float | None:
        return None if self.improved is None or not self.n else self.improved / self.n


@dataclass(frozen=True)
class InstrumentResult:
    instrument: Instrument
    role: str
    #: Forløb ended in the period that have this schedule for this role.
    ended: int
    missing_baseline: int
    missing_end: int
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class ProgrammeResult:
    programme_slug: str
    programme_name: str
    start: dt.date
    end: dt.date
    results: list[InstrumentResult]


def _values(r: QuestionnaireResponse, instrument: Instrument) -> dict[str, float]:
    if instrument.scoring == "sum":
        return {"total": float(r.total)} if r.total is not None else {}
    out = {}
    for item in instrument.items:
        v = r.answers.get(item.key)
        if v is not None:
            out[item.key] = (
                float(instrument.item_max + instrument.item_min - v) if item.reversed else float(v)
            )
    return out


def _change(measure: str, pairs: list[tuple[float, float]], instrument: Instrument) -> Change:
    n = len(pairs)
    if not n:
        return Change(measure, 0, None, None, None, None, None, None)
    diffs = [end - base for base, end in pairs]
    mean = sum(diffs) / n
    low = high = None
    if n >= 2:
        sd = stats.tstd(diffs)
        if sd == 0:
            low = high = mean
        else:
            half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
            low, high = mean - half, mean + half
    improved = None
    if instrument.meaningful_change is not None:
        sign = 1 if instrument.direction == "higher_is_better" else -1
        improved = sum(1 for d in diffs if sign * d >= instrument.meaningful_change)
    return Change(
        measure,
        n,
        mean,
        low,
        high,
        improved,
        sum(b for b, _ in pairs) / n,
        sum(e for _, e in pairs) / n,
    )


async def programme_result(
    ctx: Context, programme_slug: str, start: dt.date | None, end: dt.date | None
) -> ProgrammeResult:
    """Baseline-to-end change for the programme's forløb that ended from ``start`` to ``end``
    (both included; default: the last 365 days up to today)."""
    programme = await get_programme(ctx.session, programme_slug)
    end = end or ctx.today()
    start = start or end - dt.timedelta(days=365)
    if start > end:
        raise Invalid({"from": _("The start of the period must be before its end.")})
    instruments = registered_instruments(ctx.plugins)
    rows = await list_forloeb(
        ctx.session,
        states=("completed", "ended_early"),
        programme_id=programme.id,
        where=(Forloeb.ended_on >= start, Forloeb.ended_on <= end),
    )
    results: list[InstrumentResult] = []
    for entry in programme.outcomes or []:
        instrument = instruments.get(entry["instrument"])
        if instrument is None:
            continue
        roles = ("mentee", "mentor") if entry["respondents"] == "both" else (entry["respondents"],)
        for role in roles:
            results.append(await _result(ctx, rows, instrument, role))
    return ProgrammeResult(programme.slug, programme.name, start, end, results)


async def _result(
    ctx: Context, rows: list[ForloebRow], instrument: Instrument, role: str
) -> InstrumentResult:
    pairs: dict[str, list[tuple[float, float]]] = {}
    missing_baseline = missing_end = 0
    for row in rows:
        found = await questionnaires_of_row(ctx, row, COORDINATOR)
        mine = [
            v
            for v in found.occasions
            if v.occasion.instrument == instrument.id and v.occasion.role == role
        ]
        baseline = next((v for v in mine if v.occasion.kind == OccasionKind.BASELINE), None)
        final = next((v for v in mine if v.occasion.kind == OccasionKind.END), None)
        b = _answered(baseline, instrument)
        e = _answered(final, instrument)
        if b is None:
            missing_baseline += 1
        if e is None and not (final is not None and final.status == OccasionStatus.DUE):
            missing_end += 1  # an end questionnaire still open is not missing (yet)
        if b is None or e is None:
            continue
        for measure in b.keys() & e.keys():
            pairs.setdefault(measure, []).append((b[measure], e[measure]))
    measures = ["total"] if instrument.scoring == "sum" else [i.key for i in instrument.items]
    return InstrumentResult(
        instrument,
        role,
        len(rows),
        missing_baseline,
        missing_end,
        [_change(m, pairs.get(m, []), instrument) for m in measures],
    )


def _answered(view: OccasionView | None, instrument: Instrument) -> dict[str, float] | None:
    if view is None or view.status != OccasionStatus.ANSWERED or view.response is None:
        return None
    values = _values(view.response, instrument)
    return values or None
