"""The reports' JSON answers (msgspec Structs). Figures are rounded as the page and the exports
show them (:mod:`core.reports.exports`): the same figure wherever it is read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from core.reports.exports import (
    ReportTable,
    cancellation_percent,
    meeting_hours,
    one_decimal,
)
from core.reports.models import SavingsAssumptionVersion
from core.reports.overview import Figures
from core.reports.period import Period
from core.reports.report import Report
from core.reports.savings import SavingsEstimate


class PeriodOut(msgspec.Struct):
    #: The first day of the period (included).
    from_: dt.date = msgspec.field(name="from")
    #: The last day of the period (included).
    to: dt.date


class FiguresOut(msgspec.Struct):
    """The overview's figures (docs/reports.md defines each)."""

    people_in_forloeb: int
    citizens_in_forloeb: int
    mentors_in_forloeb: int
    forloeb_running: int
    forloeb_paused_at_end: int
    waiting_citizens: int
    waiting_mentors: int
    median_days_ready_to_matched: float | None
    matches: int
    forloeb_started: int
    forloeb_completed: int
    forloeb_ended_early: int
    forloeb_paused: int
    meetings_held: int
    meetings_cancelled: int
    #: Afbud as a percentage of the meetings held and cancelled (one decimal).
    cancellation_percent: float | None
    meeting_hours: float
    courses_finished: int
    courses_running: int
    running_course_numbers: list[int]
    courses_planned: int
    courses_finished_in_period: int
    mentors_trained: int
    mentors_trained_in_period: int
    citizens_became_mentors: int
    citizens_became_mentors_in_period: int


class ProgrammeFiguresOut(msgspec.Struct):
    slug: str
    name: str
    figures: FiguresOut


class TableOut(msgspec.Struct):
    """A report table as the page and the exports show it: column labels and rows."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]


class OverviewOut(msgspec.Struct):
    period: PeriodOut
    #: The day the waiting list was read.
    today: dt.date
    #: The programme filter (``null``: every active programme).
    programme: str | None
    programmes: list[ProgrammeFiguresOut]
    #: Every programme together (people counted once even if in two programmes).
    total: FiguresOut
    #: The questionnaire change per programme, instrument, role and measure.
    outcomes: TableOut


class AssumptionsOut(msgspec.Struct):
    version: int
    #: ``file`` (the tenant file) or ``edit`` (a tenant admin's edit).
    source: str
    support_hours_per_fortnight: float
    hourly_cost: int
    share_otherwise_supported_percent: int
    coordinator_hours_per_week: float
    coordinator_hourly_cost: int
    note: str
    changed_at: dt.datetime
    #: The name of who made the version (``null`` for the tenant file).
    changed_by: str | None


class EstimateOut(msgspec.Struct):
    """One programme's savings estimate for the period, with the assumptions it rests on.
    Amounts in whole Danish kroner; an estimate ("skøn"), not a measured saving."""

    programme: str
    name: str
    #: ``null``: the programme has no assumptions, so no estimate.
    assumptions: AssumptionsOut | None
    forloeb_days: int
    forloeb_counted: int
    forloeb_fortnights: float
    support_hours_replaced: int | None
    economic_consequences_dkk: int | None
    effort_cost_dkk: int | None
    net_result_dkk: int | None
    estimate: bool = True


class SavingsOut(msgspec.Struct):
    period: PeriodOut
    programme: str | None
    estimates: list[EstimateOut]


class AssumptionHistoryOut(msgspec.Struct):
    programme: str
    #: The version in force (``null``: none yet).
    current: AssumptionsOut | None
    #: Every version, the newest first.
    history: list[AssumptionsOut]


def period_out(period: Period) -> PeriodOut:
    return PeriodOut(period.start, period.end)


def figures_out(f: Figures) -> FiguresOut:
    return FiguresOut(
        people_in_forloeb=f.people_in_forloeb,
        citizens_in_forloeb=f.citizens_in_forloeb,
        mentors_in_forloeb=f.mentors_in_forloeb,
        forloeb_running=f.forloeb_running,
        forloeb_paused_at_end=f.forloeb_paused_at_end,
        waiting_citizens=f.waiting_citizens,
        waiting_mentors=f.waiting_mentors,
        median_days_ready_to_matched=one_decimal(f.median_days_ready_to_matched),
        matches=f.matches,
        forloeb_started=f.forloeb_started,
        forloeb_completed=f.forloeb_completed,
        forloeb_ended_early=f.forloeb_ended_early,
        forloeb_paused=f.forloeb_paused,
        meetings_held=f.meetings_held,
        meetings_cancelled=f.meetings_cancelled,
        cancellation_percent=cancellation_percent(f),
        meeting_hours=meeting_hours(f),
        courses_finished=f.courses_finished,
        courses_running=f.courses_running,
        running_course_numbers=list(f.running_course_numbers),
        courses_planned=f.courses_planned,
        courses_finished_in_period=f.courses_finished_in_period,
        mentors_trained=f.mentors_trained,
        mentors_trained_in_period=f.mentors_trained_in_period,
        citizens_became_mentors=f.citizens_became_mentors,
        citizens_became_mentors_in_period=f.citizens_became_mentors_in_period,
    )


def table_out(t: ReportTable) -> TableOut:
    return TableOut(t.key, t.title, t.columns, [list(r) for r in t.rows])


def overview_out(r: Report) -> OverviewOut:
    o = r.overview
    return OverviewOut(
        period=period_out(r.period),
        today=o.today,
        programme=r.programme.slug if r.programme else None,
        programmes=[
            ProgrammeFiguresOut(p.slug, p.name, figures_out(p.figures)) for p in o.programmes
        ],
        total=figures_out(o.total),
        outcomes=table_out(r.tables["outcomes"]),
    )


def assumptions_out(v: SavingsAssumptionVersion) -> AssumptionsOut:
    return AssumptionsOut(
        version=v.version,
        source=v.source,
        support_hours_per_fortnight=v.support_hours_per_fortnight,
        hourly_cost=v.hourly_cost,
        share_otherwise_supported_percent=v.share_otherwise_supported_percent,
        coordinator_hours_per_week=v.coordinator_hours_per_week,
        coordinator_hourly_cost=v.coordinator_hourly_cost,
        note=v.note or "",
        changed_at=v.created_at,
        changed_by=v.changed_by_name,
    )


def estimate_out(e: SavingsEstimate) -> EstimateOut:
    known = e.assumptions is not None
    return EstimateOut(
        programme=e.slug,
        name=e.name,
        assumptions=assumptions_out(e.assumptions) if e.assumptions is not None else None,
        forloeb_days=e.forloeb_days,
        forloeb_counted=e.forloeb_counted,
        forloeb_fortnights=round(e.forloeb_fortnights, 1),
        support_hours_replaced=round(e.hours_replaced) if known else None,
        economic_consequences_dkk=e.consequences_kr if known else None,
        effort_cost_dkk=e.effort_cost_kr if known else None,
        net_result_dkk=e.net_kr if known else None,
    )


def savings_out(r: Report) -> SavingsOut:
    return SavingsOut(
        period_out(r.period),
        r.programme.slug if r.programme else None,
        [estimate_out(e) for e in r.savings],
    )
