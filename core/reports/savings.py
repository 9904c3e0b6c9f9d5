"""The savings estimate ("Skøn over besparelsen") per programme, in the terms of Socialstyrelsen's
socio-economic investment model (SØM): the effort's cost (*indsatsens omkostninger*), the
economic consequences of its effect (*økonomiske konsekvenser*: paid support hours no longer
needed, valued at a unit price, *enhedspris*) and the net result for the municipality's budget
(*budgetøkonomisk nettoresultat*). An estimate from the programme's assumptions, never a
measured saving; every assumption is shown beside the figure. Formula (``docs/reports.md``)::

    forløb-fortnights  = days citizens were in a running, unpaused forløb in the period / 14
    hours replaced     = forløb-fortnights x support hours per fortnight x share otherwise supported
    consequences       = hours replaced x hourly cost of the support
    effort's cost      = coordinator hours per week x (days in the period / 7)
                         x coordinator's hourly cost
    net result         = consequences - effort's cost

Assumptions live in versions (:class:`core.reports.models.SavingsAssumptionVersion`): the
tenant file gives the first (and a new one when its values change, :func:`record_file_version`);
a tenant admin's edit adds the next (:func:`edit_assumptions`); the newest is in force.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import Invalid, NotFound
from core.forloeb.models import Forloeb, ForloebPause
from core.participants.validation import text as checked_text
from core.reports.assumptions import ASSUMPTION_FIELDS, SavingsAssumptions
from core.reports.models import EDITED, FROM_FILE, SavingsAssumptionVersion
from core.reports.overview import STARTED_STATES
from core.reports.period import Period
from core.tenancy.models import Programme
from core.web.i18n import gettext as _

#: The actor stored for a version from the tenant file.
SYNC_ACTOR = "tenants-sync"
#: Bounds of each assumption: (lowest, highest), as the tenant file's schema has them.
BOUNDS: dict[str, tuple[float, float]] = {
    "support_hours_per_fortnight": (0, 100),
    "hourly_cost": (0, 10_000),
    "share_otherwise_supported_percent": (0, 100),
    "coordinator_hours_per_week": (0, 100),
    "coordinator_hourly_cost": (0, 10_000),
}
WHOLE = frozenset({"hourly_cost", "share_otherwise_supported_percent", "coordinator_hourly_cost"})
NOTE_MAX = 500


#: An assumption as sent: a JSON number. Typed loosely on purpose, so that a string, a
#: ``null`` or a missing field is not refused by the decoder at the first field with a generic
#: message: :func:`check_assumptions` names every field at fault at once, in the page's words.
AssumptionValue = Annotated[
    Any, msgspec.Meta(description="A number (hours and kroner: see the bounds).")
]


class SavingsAssumptionsIn(msgspec.Struct, kw_only=True):
    """A tenant admin's new version of a programme's assumptions (every field; see
    :class:`core.reports.assumptions.SavingsAssumptions` for what each means). Bounds: hours
    0-100, kroner 0-10,000 (whole), percent 0-100 (whole), note at most 500 characters."""

    support_hours_per_fortnight: AssumptionValue = None
    hourly_cost: AssumptionValue = None
    share_otherwise_supported_percent: AssumptionValue = None
    coordinator_hours_per_week: AssumptionValue = None
    coordinator_hourly_cost: AssumptionValue = None
    note: str = ""


def values_of(version: SavingsAssumptionVersion | SavingsAssumptions) -> dict[str, Any]:
    """The assumptions (and note) of a version or a file's table, as plain values."""
    out: dict[str, Any] = {name: getattr(version, name) for name in ASSUMPTION_FIELDS}
    out["support_hours_per_fortnight"] = float(out["support_hours_per_fortnight"])
    out["coordinator_hours_per_week"] = float(out["coordinator_hours_per_week"])
    out["note"] = version.note or ""
    return out


async def versions_of(
    session: AsyncSession, programme_id: uuid.UUID
) -> list[SavingsAssumptionVersion]:
    """Every version of the programme's assumptions, the newest (in force) first."""
    return list(
        await session.scalars(
            select(SavingsAssumptionVersion)
            .where(SavingsAssumptionVersion.programme_id == programme_id)
            .order_by(SavingsAssumptionVersion.version.desc())
        )
    )


async def current_versions(
    session: AsyncSession, programme_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SavingsAssumptionVersion]:
    """The version in force of each programme that has one."""
    if not programme_ids:
        return {}
    newest = (
        select(
            SavingsAssumptionVersion.programme_id,
            func.max(SavingsAssumptionVersion.version).label("version"),
        )
        .where(SavingsAssumptionVersion.programme_id.in_(list(programme_ids)))
        .group_by(SavingsAssumptionVersion.programme_id)
        .subquery()
    )
    rows = await session.scalars(
        select(SavingsAssumptionVersion).join(
            newest,
            (newest.c.programme_id == SavingsAssumptionVersion.programme_id)
            & (newest.c.version == SavingsAssumptionVersion.version),
        )
    )
    return {v.programme_id: v for v in rows}


async def _add_version(
    session: AsyncSession,
    programme_id: uuid.UUID,
    values: dict[str, Any],
    source: str,
    actor: str,
    actor_name: str | None,
) -> SavingsAssumptionVersion:
    latest = await session.scalar(
        select(func.max(SavingsAssumptionVersion.version)).where(
            SavingsAssumptionVersion.programme_id == programme_id
        )
    )
    version = SavingsAssumptionVersion(
        programme_id=programme_id,
        version=(latest or 0) + 1,
        source=source,
        changed_by=actor,
        changed_by_name=actor_name,
        **values,
    )
    session.add(version)
    await session.flush()
    return version


async def record_file_version(
    session: AsyncSession, programme_id: uuid.UUID, config: SavingsAssumptions | None
) -> bool:
    """``makker tenants sync``: a new version from the tenant file when the file's values
    differ from the last version that came from the file (or there is none). An admin's later
    edits stay in force until the file itself changes. :return: whether a version was added."""
    if config is None:
        return False
    wanted = values_of(config)
    last_from_file = await session.scalar(
        select(SavingsAssumptionVersion)
        .where(
            SavingsAssumptionVersion.programme_id == programme_id,
            SavingsAssumptionVersion.source == FROM_FILE,
        )
        .order_by(SavingsAssumptionVersion.version.desc())
        .limit(1)
    )
    if last_from_file is not None and values_of(last_from_file) == wanted:
        return False
    await _add_version(session, programme_id, wanted, FROM_FILE, SYNC_ACTOR, None)
    return True


def check_assumptions(data: SavingsAssumptionsIn) -> dict[str, Any]:
    """The values of ``data`` if every one is within its bounds.

    :raises Invalid: a Danish message per field at fault, in the form's order."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in ASSUMPTION_FIELDS:
        value = getattr(data, name)
        low, high = BOUNDS[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            errors[name] = _("Write a number.")
        elif name in WHOLE and value != int(value):
            errors[name] = _("Write a whole number.")
        elif not low <= value <= high:
            errors[name] = _("Write a number from %(low)s to %(high)s.") % {
                "low": f"{low:,.0f}".replace(",", "."),
                "high": f"{high:,.0f}".replace(",", "."),
            }
        else:
            values[name] = int(value) if name in WHOLE else float(value)
    note = checked_text(data.note or "", NOTE_MAX, "note", errors, multiline=True) or ""
    values["note"] = note
    if errors:
        raise Invalid(errors, detail=next(iter(errors.values())) if len(errors) == 1 else "")
    return values


async def programme_by_slug(session: AsyncSession, slug: str) -> Programme:
    """The tenant's active programme ``slug``. :raises NotFound: none (or another tenant's)."""
    programme = await session.scalar(
        select(Programme).where(Programme.slug == slug, Programme.archived_at.is_(None))
    )
    if programme is None:
        raise NotFound()
    return programme


async def edit_assumptions(
    ctx: Context, programme_slug: str, data: SavingsAssumptionsIn
) -> SavingsAssumptionVersion:
    """A tenant admin's new version of the programme's assumptions (in force from now on). An
    unchanged edit - the values and note of the version in force - stores nothing: the version
    in force is returned (its audit row says ``unchanged``).

    :raises NotFound: no such programme. :raises Invalid: a value out of bounds (every field at
        fault at once); nothing is stored."""
    programme = await programme_by_slug(ctx.session, programme_slug)
    values = check_assumptions(data)
    versions = await versions_of(ctx.session, programme.id)
    if versions and values_of(versions[0]) == values:
        ctx.audit(
            "reports.savings_assumptions",
            object_type="programme",
            object_id=programme.id,
            detail={"version": versions[0].version, "unchanged": True},
        )
        return versions[0]
    name = None
    if ctx.principal is not None:
        name = ctx.principal.name or ctx.principal.username or None
    version = await _add_version(ctx.session, programme.id, values, EDITED, ctx.actor, name)
    ctx.audit(
        "reports.savings_assumptions",
        object_type="programme",
        object_id=programme.id,
        detail={"version": version.version},
    )
    return version


# -- the estimate ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavingsEstimate:
    """One programme's estimate for a period (amounts in kroner, unrounded)."""

    programme_id: uuid.UUID
    slug: str
    name: str
    period: Period
    #: The version in force; ``None``: the programme has no assumptions (no estimate).
    assumptions: SavingsAssumptionVersion | None
    #: Days citizens spent in a running, unpaused forløb within the period (one per forløb).
    forloeb_days: int
    #: Citizens in a forløb at some day of the period (distinct forløb).
    forloeb_counted: int

    @property
    def forloeb_fortnights(self) -> float:
        return self.forloeb_days / 14

    def _a(self, name: str) -> float:
        return float(getattr(self.assumptions, name)) if self.assumptions is not None else 0.0

    @property
    def hours_replaced(self) -> float:
        return (
            self.forloeb_fortnights
            * self._a("support_hours_per_fortnight")
            * self._a("share_otherwise_supported_percent")
            / 100
        )

    @property
    def consequences(self) -> float:
        """Økonomiske konsekvenser: the support no longer paid for."""
        return self.hours_replaced * self._a("hourly_cost")

    @property
    def coordinator_hours(self) -> float:
        return self._a("coordinator_hours_per_week") * self.period.days / 7

    @property
    def effort_cost(self) -> float:
        """Indsatsens omkostninger: the coordinators' time."""
        return self.coordinator_hours * self._a("coordinator_hourly_cost")

    @property
    def consequences_kr(self) -> int:
        """The consequences in whole kroner (what every page, export and the API show)."""
        return round(self.consequences)

    @property
    def effort_cost_kr(self) -> int:
        return round(self.effort_cost)

    @property
    def net_kr(self) -> int:
        """Budgetøkonomisk nettoresultat in whole kroner: the rounded consequences minus the
        rounded cost of the effort (so the three shown figures add up)."""
        return self.consequences_kr - self.effort_cost_kr


def _overlap(start: dt.date, end: dt.date, first: dt.date, last: dt.date) -> int:
    """Days of ``[start, end)`` within ``[first, last]``."""
    return max(0, (min(end, last + dt.timedelta(days=1)) - max(start, first)).days)


async def forloeb_days(
    session: AsyncSession, programme_ids: Sequence[uuid.UUID], period: Period
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per programme: (days in a running, unpaused forløb within the period, forløb counted).

    A forløb runs from its start day until the day before its end day; a pause from its first
    day until the day before it ended (the same days the overview counts as "in forløb" and
    "paused")."""
    if not programme_ids:
        return {}
    after = period.end + dt.timedelta(days=1)
    running = await session.execute(
        select(Forloeb.id, Forloeb.programme_id, Forloeb.started_on, Forloeb.ended_on).where(
            Forloeb.programme_id.in_(list(programme_ids)),
            Forloeb.state.in_(STARTED_STATES),
            Forloeb.started_on.is_not(None),
            Forloeb.started_on <= period.end,
            or_(Forloeb.ended_on.is_(None), Forloeb.ended_on > period.start),
        )
    )
    spans: dict[uuid.UUID, tuple[uuid.UUID, dt.date, dt.date]] = {
        fid: (pid, start, end or after)
        for fid, pid, start, end in running.tuples()
        if start is not None
    }
    paused: dict[uuid.UUID, int] = defaultdict(int)
    if spans:
        pauses = await session.execute(
            select(ForloebPause.forloeb_id, ForloebPause.starts_on, ForloebPause.ends_on)
            .join(Forloeb, Forloeb.id == ForloebPause.forloeb_id)
            .where(
                Forloeb.programme_id.in_(list(programme_ids)),
                ForloebPause.starts_on <= period.end,
                or_(ForloebPause.ends_on.is_(None), ForloebPause.ends_on > period.start),
            )
        )
        for fid, starts, ends in pauses.tuples():
            if fid in spans:
                _pid, start, end = spans[fid]
                # Only the pause's days while the forløb ran.
                paused[fid] += _overlap(
                    max(starts, start), min(ends or after, end), period.start, period.end
                )
    out: dict[uuid.UUID, tuple[int, int]] = {}
    for fid, (pid, start, end) in spans.items():
        days = _overlap(start, end, period.start, period.end) - paused[fid]
        if _overlap(start, end, period.start, period.end) == 0:
            continue
        total, counted = out.get(pid, (0, 0))
        out[pid] = (total + max(0, days), counted + 1)
    return out


async def estimates(
    session: AsyncSession, programmes: Sequence[Any], period: Period
) -> list[SavingsEstimate]:
    """The estimate of each programme (objects with ``programme_id``/``id``, ``slug``,
    ``name``) for the period, with the assumptions in force."""
    ids = [getattr(p, "programme_id", None) or p.id for p in programmes]
    days = await forloeb_days(session, ids, period)
    current = await current_versions(session, ids)
    return [
        SavingsEstimate(pid, p.slug, p.name, period, current.get(pid), *days.get(pid, (0, 0)))
        for pid, p in zip(ids, programmes, strict=True)
    ]
