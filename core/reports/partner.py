"""The partner's aggregate: the overview's counts for every programme granted to a partner
organisation, across the municipalities that granted them - suppressed, never a person.

For every active grant the partner holds (any scope gives numbers), the figures are computed
by :func:`core.reports.overview.overview` - once, over every granted programme - *in the
granting municipalities' tenant scope* (:func:`core.db.tenant_scope.reading_tenants`, naming
exactly the municipalities with an active grant: the ORM guard and row-level security apply to
every statement, and nothing may be written); only the counts leave that scope. The
questionnaire change of a programme with questionnaires comes from
:func:`core.outcomes.results.programme_result`, in its own municipality's scope
(:func:`core.db.tenant_scope.reading_another_tenant`). Then one table - a row per
(municipality, programme) and a total row that is the *sum* of the rows (a person in two
granted programmes counts in both) - goes through
:func:`core.reports.suppression.suppress` with every relation between its columns that an
attacker could use. The whole table - every programme the grants cover - is suppressed once,
whatever the filters: a filter (programme, municipality) only picks rows of it, shown exactly as
unfiltered, and a filtered total is worked out from those shown cells (:func:`filtered_total`),
so no filtered view, next to the unfiltered one, gives a hidden cell away. Derived figures
(the median wait, the afbud rate, the means) are shown only when the counts behind them are. A
partner without a grant gets an empty aggregate.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from core.context import Context
from core.db.tenant_scope import reading_another_tenant, reading_tenants
from core.errors import Invalid
from core.outcomes import labels
from core.outcomes.results import Change, ProgrammeResult, programme_result
from core.reports.overview import Figures, overview
from core.reports.period import Period, parse_period
from core.reports.suppression import (
    HIDDEN,
    Line,
    Shown,
    derived_shown,
    suppress,
    table_lines,
)
from core.tenancy.models import PartnershipScope, Programme, ProgrammePartnership, Tenant
from core.web.i18n import gettext as _

#: The counts the partner sees, in the table's order (fields of :class:`Figures`).
COUNTS: tuple[str, ...] = (
    "people_in_forloeb",
    "citizens_in_forloeb",
    "mentors_in_forloeb",
    "waiting_citizens",
    "waiting_mentors",
    "matches",
    "forloeb_started",
    "forloeb_completed",
    "forloeb_ended_early",
    "forloeb_paused",
    "meetings_held",
    "meetings_cancelled",
    "courses_finished",
    "courses_running",
    "mentors_trained",
    "citizens_became_mentors",
)
TOTAL = "total"
#: In the partner's table *people in forløb* is citizens plus mentors in forløb, so that it adds
#: up (a person who is a citizen in one running forløb and a mentor in another at the same time -
#: rare - counts twice; the overview counts people once). The overview's "forløb running" and "of
#: them paused" are not in the partner's table: every running forløb has its own citizen, so the
#: running forløb would tell the citizens (and the paused ones bound them).
ROLES = ("citizens_in_forloeb", "mentors_in_forloeb")


@dataclass(frozen=True)
class PartnerRow:
    """One granted programme (or the total, ``municipality`` ``None``) as the partner sees it."""

    municipality: str | None
    municipality_name: str | None
    programme: str | None
    programme_name: str | None
    #: Every count of :data:`COUNTS`: the number, ``"<5"`` or ``"x"``.
    counts: dict[str, Shown]
    #: Shown only when ``matches`` is shown (and at least 5).
    median_days_ready_to_matched: float | None
    #: Afbud as a share of the meetings held and cancelled, when both counts are shown.
    cancellation_rate: float | None


@dataclass(frozen=True)
class PartnerOutcome:
    """The change of one measure of an instrument for one role: per programme or in total."""

    municipality: str | None
    municipality_name: str | None
    programme: str | None
    programme_name: str | None
    instrument: str
    instrument_name: str
    role: str
    measure: str
    #: Pairs with a baseline and an end answer: the number, ``"<5"`` or ``"x"``.
    n: Shown
    #: Means over the n pairs, shown only when n is (and at least 5).
    mean_baseline: float | None
    mean_end: float | None
    mean_change: float | None


@dataclass(frozen=True)
class PartnerAggregate:
    period: Period
    #: The granted programmes by municipality and name; empty without a grant.
    programmes: list[PartnerRow]
    total: PartnerRow
    outcomes: list[PartnerOutcome]
    #: The municipalities and programmes the filters may name (every active grant).
    choices: list[tuple[str, str, str, str]]
    #: The granted programmes the partner also co-runs or sees the people of (a grant with
    #: scope ``coordinate`` or ``participants``), as (municipality slug and name, programme
    #: slug and name): not in the table - the partner reads their exact figures in the
    #: municipality's own report, and next to those the table's total would give a "<5" of
    #: another programme away (total minus the known figures).
    co_run: list[tuple[str, str, str, str]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class _Granted:
    owner: Tenant
    programme: Programme
    #: The partner also holds a grant with more than numbers on this programme (``participants``
    #: or ``coordinate``): it reads the programme's exact figures in the municipality's own
    #: report, so the programme is left out of the table (``PartnerAggregate.co_run``).
    known: bool = False


async def _grants_by_owner(
    ctx: Context,
) -> tuple[list[tuple[Tenant, list[uuid.UUID]]], set[uuid.UUID]]:
    """The partner's active grants: each owner (by name) with the programmes it granted; and
    the programmes among them on which a grant gives more than numbers (the partner sees their
    exact figures elsewhere)."""
    grants = list(
        await ctx.session.scalars(
            select(ProgrammePartnership)
            .where(
                ProgrammePartnership.partner_tenant_id == ctx.tenant.id,
                ProgrammePartnership.revoked_at.is_(None),
            )
            .order_by(ProgrammePartnership.created_at)
        )
    )
    if not grants:
        return [], set()
    owners = {
        t.id: t
        for t in await ctx.session.scalars(
            select(Tenant).where(Tenant.id.in_({g.owner_tenant_id for g in grants}))
        )
    }
    known = {g.programme_id for g in grants if g.scope != PartnershipScope.AGGREGATE}
    by_owner = [
        (owners[i], list(dict.fromkeys(g.programme_id for g in grants if g.owner_tenant_id == i)))
        for i in sorted(owners, key=lambda i: owners[i].name)
    ]
    return by_owner, known


def _refuse_unknown(
    granted: list[_Granted],
    programme: str | None,
    municipality: str | None,
    period_errors: dict[str, str],
) -> None:
    """Every filter at fault at once: the programme, the municipality and the dates."""
    errors = {}
    if municipality and not any(g.owner.slug == municipality for g in granted):
        errors["municipality"] = _("Choose a municipality that has granted this organisation.")
    if programme and not any(g.programme.slug == programme for g in granted):
        errors["programme"] = _("Choose a programme this organisation has been granted.")
    errors.update(period_errors)
    if errors:
        raise Invalid(errors, detail=next(iter(errors.values())) if len(errors) == 1 else "")


async def partner_aggregate(
    ctx: Context,
    programme: str | None = None,
    municipality: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> PartnerAggregate:
    """The aggregate of the partner tenant ``ctx.tenant`` for a period (``start``/``end``,
    ``YYYY-MM-DD``; default the year up to today), optionally one programme slug (in every
    municipality that granted a programme of that slug) and one municipality (its slug).

    Audited as ``partner_read`` per municipality and programme read.

    :raises Invalid: a bad date, or a programme or municipality the partner has no grant for
        (field ``programme``/``municipality``/``from``/``to``)."""
    today = ctx.today()
    period_errors: dict[str, str] = {}
    try:
        period: Period | None = parse_period(start, end, today)
    except Invalid as exc:
        # Refused below together with an unknown programme or municipality, if any.
        period, period_errors = None, exc.errors
    granted: list[_Granted] = []
    figures: list[tuple[_Granted, Figures]] = []
    results: list[tuple[_Granted, ProgrammeResult]] = []
    grants, known = await _grants_by_owner(ctx)
    if grants:
        owners = {owner.id: owner for owner, _ids in grants}
        # Every granted municipality at once (reading_tenants: the ORM guard and row-level
        # security admit exactly these tenants, read only): the programmes, then one overview
        # over all of them - a handful of statements, not a round per municipality
        # (docs/reports.md, "Speed"). Every granted programme is read, filtered or not: the
        # table is suppressed whole, and a filter only picks its rows (see suppressed_rows).
        async with reading_tenants(ctx.session, list(owners)):
            found_programmes = list(
                await ctx.session.scalars(
                    select(Programme)
                    .where(Programme.id.in_([i for _owner, ids in grants for i in ids]))
                    .order_by(Programme.name, Programme.id)
                )
            )
            found = (
                await overview(
                    ctx.session,
                    ctx.tenant,
                    None,
                    period,
                    plugins=ctx.plugins,
                    today=today,
                    programmes=[p for p in found_programmes if p.id not in known],
                    owners=owners,
                )
                if period is not None and set(p.id for p in found_programmes) - known
                else None
            )
        by_programme = {p.programme_id: p.figures for p in found.programmes} if found else {}
        for owner, _ids in grants:
            for found_programme in found_programmes:
                if found_programme.tenant_id != owner.id:
                    continue
                g = _Granted(owner, found_programme, found_programme.id in known)
                granted.append(g)
                if period is not None and not g.known:
                    figures.append((g, by_programme[found_programme.id]))
        # The questionnaire change, for the programmes that have questionnaires, in the owner's
        # own scope (core.outcomes.results reads one tenant's programme by its slug).
        for g in granted:
            if period is None or g.known or not g.programme.outcomes:
                continue
            async with reading_another_tenant(ctx.session, g.owner.id):
                owner_ctx = dataclasses.replace(ctx, tenant=g.owner)
                result = await programme_result(
                    owner_ctx, g.programme.slug, period.start, period.end
                )
            results.append((g, result))
    _refuse_unknown(granted, programme, municipality, period_errors)
    assert period is not None  # else refused above
    for g, _f in figures:
        ctx.audit(
            "partner_read",
            object_type="programme",
            object_id=g.programme.id,
            detail={"scope": "aggregate", "owner": g.owner.slug, "report": "partner"},
        )

    def picked(g: _Granted) -> bool:
        return (not programme or g.programme.slug == programme) and (
            not municipality or g.owner.slug == municipality
        )

    rows, total = suppressed_rows(figures, picked)
    return PartnerAggregate(
        period,
        rows,
        total,
        suppressed_outcomes(results, picked),
        [(g.owner.slug, g.owner.name, g.programme.slug, g.programme.name) for g in granted],
        [
            (g.owner.slug, g.owner.name, g.programme.slug, g.programme.name)
            for g in granted
            if g.known and picked(g)
        ],
    )


Cells = dict[tuple[Hashable, Hashable], int]


def count_table(
    figures: Sequence[Figures],
) -> tuple[Cells, list[Line[tuple[Hashable, Hashable]]]]:
    """The counts of ``figures`` (one row each, keyed 0, 1, ...) with a :data:`TOTAL` row that
    is their sum: the cells and every line of the table (each column and its total; people =
    citizens + mentors in every row)."""
    keys = list(range(len(figures)))
    cells: Cells = {}
    for key, f in zip(keys, figures, strict=True):
        for name in COUNTS:
            cells[(key, name)] = int(getattr(f, name))
        cells[(key, "people_in_forloeb")] = sum(cells[(key, r)] for r in ROLES)
    for name in COUNTS:
        cells[(TOTAL, name)] = sum(cells[(k, name)] for k in keys)
    lines: list[Line[tuple[Hashable, Hashable]]] = table_lines(keys, COUNTS, TOTAL)
    for row in (*keys, TOTAL):
        lines.append(Line((row, "people_in_forloeb"), tuple((row, r) for r in ROLES)))
    return cells, lines


def filtered_total(parts: Sequence[Shown]) -> Shown:
    """The total of some rows of a table that was suppressed whole, from their cells as shown:
    one row's cell is that cell; the sum when every part is shown; else ``"x"`` - so the
    filtered total is worked out from the unfiltered table alone and tells nothing more."""
    if len(parts) == 1:
        return parts[0]
    if any(isinstance(p, str) for p in parts):
        return HIDDEN
    return sum(int(p) for p in parts)


def suppressed_rows(
    figures: Sequence[tuple[_Granted, Figures]],
    picked: Callable[[_Granted], bool] | None = None,
) -> tuple[list[PartnerRow], PartnerRow]:
    """The table of counts, suppressed as one: rows, and the total row (the sum of the rows).

    The whole table (every granted programme) is suppressed once; ``picked`` (the filters)
    then chooses which rows are shown, each exactly as in the unfiltered table, and their total
    is :func:`filtered_total` of the shown cells - so no filtered view, alone or next to the
    unfiltered one, gives away a hidden cell."""
    keys = list(range(len(figures)))
    cells, lines = count_table([f for _g, f in figures])
    shown = suppress(cells, lines)

    def row_of(key: Hashable, g: _Granted | None) -> PartnerRow:
        counts = {name: shown[(key, name)] for name in COUNTS}
        matches = cells[(key, "matches")]
        held, cancelled = cells[(key, "meetings_held")], cells[(key, "meetings_cancelled")]
        median = None
        if derived_shown(counts["matches"], people=matches):
            median = _median(figures, key)
        rate = None
        if held + cancelled and derived_shown(
            counts["meetings_held"], counts["meetings_cancelled"]
        ):
            rate = cancelled / (held + cancelled)
        return PartnerRow(
            g.owner.slug if g else None,
            g.owner.name if g else None,
            g.programme.slug if g else None,
            g.programme.name if g else None,
            counts,
            median,
            rate,
        )

    rows = [row_of(k, figures[k][0]) for k in keys]
    chosen = [k for k in keys if picked is None or picked(figures[k][0])]
    if len(chosen) == len(keys):
        return rows, row_of(TOTAL, None)
    counts = {name: filtered_total([shown[(k, name)] for k in chosen]) for name in COUNTS}
    held, cancelled = counts["meetings_held"], counts["meetings_cancelled"]
    rate = None
    if isinstance(held, int) and isinstance(cancelled, int) and held + cancelled:
        rate = cancelled / (held + cancelled)
    total = PartnerRow(None, None, None, None, counts, None, rate)
    return [rows[k] for k in chosen], total


def _median(figures: Sequence[tuple[_Granted, Figures]], key: Hashable) -> float | None:
    if key != TOTAL:
        assert isinstance(key, int)
        return figures[key][1].median_days_ready_to_matched
    # The medians of the programmes cannot be combined into the median of all matches; the
    # total shows the median of the programmes' medians weighted by nothing - so none.
    return None


def suppressed_outcomes(
    results: Sequence[tuple[_Granted, ProgrammeResult]],
    picked: Callable[[_Granted], bool] | None = None,
) -> list[PartnerOutcome]:
    """The questionnaire change: per instrument, role and measure, a row per programme and a
    total (pooled means over every pair); n suppressed per measure like a column with its
    total, a mean shown only when its n is. As in :func:`suppressed_rows`, every granted
    programme is suppressed together and ``picked`` only chooses the rows shown; a filtered
    total is :func:`filtered_total` of their n, its means pooled over them when it is shown."""
    groups: dict[tuple[str, str, str], list[tuple[_Granted, Change]]] = {}
    names: dict[str, str] = {}
    for g, result in results:
        for r in result.results:
            names[r.instrument.id] = labels.title(r.instrument)
            for change in r.changes:
                groups.setdefault((r.instrument.id, r.role, change.measure), []).append((g, change))
    out: list[PartnerOutcome] = []
    for (instrument, role, measure), members in groups.items():
        changes = [c for _g, c in members]
        keys = list(range(len(members)))
        cells: dict[Hashable, int] = {k: c.n for k, c in zip(keys, changes, strict=True)}
        cells[TOTAL] = sum(cells[k] for k in keys)
        shown = suppress(cells, [Line(TOTAL, tuple(keys))])
        chosen = [k for k in keys if picked is None or picked(members[k][0])]
        if not chosen:
            continue
        for k in chosen:
            g, change = members[k]
            visible = derived_shown(shown[k], people=cells[k])
            out.append(
                PartnerOutcome(
                    g.owner.slug,
                    g.owner.name,
                    g.programme.slug,
                    g.programme.name,
                    instrument,
                    names[instrument],
                    role,
                    measure,
                    shown[k],
                    change.mean_baseline if visible else None,
                    change.mean_end if visible else None,
                    change.mean_change if visible else None,
                )
            )
        if len(chosen) == len(keys):
            n, n_shown = cells[TOTAL], shown[TOTAL]
        else:
            changes = [changes[k] for k in chosen]
            n = sum(c.n for c in changes)
            n_shown = filtered_total([shown[k] for k in chosen])
        visible = derived_shown(n_shown, people=n)
        pooled = {
            attr: sum((getattr(c, attr) or 0.0) * c.n for c in changes if c.n) / n if n else None
            for attr in ("mean_baseline", "mean_end", "mean_change")
        }
        out.append(
            PartnerOutcome(
                None,
                None,
                None,
                None,
                instrument,
                names[instrument],
                role,
                measure,
                n_shown,
                pooled["mean_baseline"] if visible else None,
                pooled["mean_end"] if visible else None,
                pooled["mean_change"] if visible else None,
            )
        )
    return out
