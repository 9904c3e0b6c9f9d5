"""The report's tables, and their exports as CSV and XLSX.

:func:`report_tables` turns an overview, the savings estimates and the questionnaire change into
:class:`ReportTable` s - labels in the request's language, every figure rounded once, here - and
the page, the CSV and the XLSX all show those tables (the API gives the same rounded figures:
:mod:`core.reports.api`), so a figure reads the same wherever it is read.

* CSV (:func:`csv_bytes`): one table, ``;`` between fields and a decimal comma - what Excel with
  Danish settings opens - UTF-8 with a byte-order mark, a first line naming the table and period.
  A text that a spreadsheet would read as a formula (a name starting with ``= + - @``, tab or
  CR) gets a ``'`` before it (:func:`csv_text`).
* XLSX (:func:`xlsx_bytes`, openpyxl): one sheet per table, numbers as numbers, every text a
  string cell - never a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

from core.outcomes import labels as outcome_labels
from core.outcomes.results import ProgrammeResult
from core.reports.overview import Figures, Overview
from core.reports.period import Period
from core.reports.savings import SavingsEstimate
from core.web.filters import and_list
from core.web.i18n import gettext as _

Cell = str | int | float | None
OVERVIEW, SAVINGS, OUTCOMES = "overview", "savings", "outcomes"
TABLES = (OVERVIEW, SAVINGS, OUTCOMES)
#: The export formats.
CSV, XLSX = "csv", "xlsx"


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def cancellation_percent(f: Figures) -> float | None:
    """Afbud as a percentage of the meetings held and cancelled, one decimal."""
    rate = f.cancellation_rate
    return None if rate is None else round(100 * rate, 1)


def meeting_hours(f: Figures) -> float:
    return round(f.meeting_minutes / 60, 1)


def running_numbers(f: Figures) -> str:
    return and_list(f.running_course_numbers)


def overview_rows() -> list[tuple[str, str, Callable[[Figures], Cell]]]:
    """(key, label, value) of each row of the overview table, in order."""
    return [
        ("people_in_forloeb", _("People in forløb"), lambda f: f.people_in_forloeb),
        ("citizens_in_forloeb", _("Citizens in forløb"), lambda f: f.citizens_in_forloeb),
        ("mentors_in_forloeb", _("Mentors in forløb"), lambda f: f.mentors_in_forloeb),
        (
            "forloeb_running",
            _("Forløb running at the end of the period"),
            lambda f: f.forloeb_running,
        ),
        ("forloeb_paused_at_end", _("of them paused"), lambda f: f.forloeb_paused_at_end),
        ("waiting_citizens", _("Waiting list today: citizens"), lambda f: f.waiting_citizens),
        ("waiting_mentors", _("Waiting list today: mentors"), lambda f: f.waiting_mentors),
        (
            "median_days_ready_to_matched",
            _("Median days from ready to matched"),
            lambda f: one_decimal(f.median_days_ready_to_matched),
        ),
        ("matches", _("Matches in the period"), lambda f: f.matches),
        ("forloeb_started", _("Forløb started"), lambda f: f.forloeb_started),
        ("forloeb_completed", _("Forløb completed"), lambda f: f.forloeb_completed),
        ("forloeb_ended_early", _("Forløb ended early"), lambda f: f.forloeb_ended_early),
        ("forloeb_paused", _("Forløb paused"), lambda f: f.forloeb_paused),
        ("meetings_held", _("Meetings held"), lambda f: f.meetings_held),
        ("meetings_cancelled", _("Meetings cancelled (afbud)"), lambda f: f.meetings_cancelled),
        ("cancellation_percent", _("Afbud rate (%)"), cancellation_percent),
        ("meeting_hours", _("Hours of meetings held"), meeting_hours),
        ("courses_finished", _("Mentor-course holds finished"), lambda f: f.courses_finished),
        ("courses_running", _("Holds running"), lambda f: f.courses_running),
        ("running_course_numbers", _("Numbers of the running holds"), running_numbers),
        ("courses_planned", _("Holds planned"), lambda f: f.courses_planned),
        (
            "courses_finished_in_period",
            _("Holds finished in the period"),
            lambda f: f.courses_finished_in_period,
        ),
        ("mentors_trained", _("Mentors trained"), lambda f: f.mentors_trained),
        (
            "mentors_trained_in_period",
            _("Mentors trained in the period"),
            lambda f: f.mentors_trained_in_period,
        ),
        (
            "citizens_became_mentors",
            _("Citizens who later became mentors"),
            lambda f: f.citizens_became_mentors,
        ),
        (
            "citizens_became_mentors_in_period",
            _("of them in the period"),
            lambda f: f.citizens_became_mentors_in_period,
        ),
    ]


@dataclass(frozen=True)
class ReportTable:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    #: The row keys (the overview: one per figure), for tests and the API.
    row_keys: list[str]
    #: The XLSX sheet's name (at most 31 characters).
    sheet: str = ""


def overview_table(o: Overview) -> ReportTable:
    columns = [_("Figure"), *(p.name for p in o.programmes)]
    several = len(o.programmes) > 1
    if several:
        columns.append(_("Total"))
    rows, keys = [], []
    for key, label, value in overview_rows():
        row: list[Cell] = [label, *(value(p.figures) for p in o.programmes)]
        if several:
            row.append(value(o.total))
        rows.append(row)
        keys.append(key)
    return ReportTable(OVERVIEW, _("Overview"), columns, rows, keys, _("Overview"))


def savings_columns() -> list[str]:
    return [
        _("Programme"),
        _("Assumptions, version"),
        _("Support hours per fortnight"),
        _("Hourly cost of the support (DKK)"),
        _("Share who would otherwise get the support (%)"),
        _("Coordinator hours per week"),
        _("Coordinator's hourly cost (DKK)"),
        _("Days in forløb"),
        _("Forløb counted"),
        _("Forløb fortnights"),
        _("Support hours replaced"),
        _("Economic consequences (DKK)"),
        _("Cost of the effort (DKK)"),
        _("Net result, estimate (DKK)"),
    ]


def savings_row(e: SavingsEstimate) -> list[Cell]:
    a = e.assumptions
    if a is None:
        blank: list[Cell] = [None] * 6
        return [e.name, *blank, e.forloeb_days, e.forloeb_counted, *([None] * 5)]
    return [
        e.name,
        a.version,
        a.support_hours_per_fortnight,
        a.hourly_cost,
        a.share_otherwise_supported_percent,
        a.coordinator_hours_per_week,
        a.coordinator_hourly_cost,
        e.forloeb_days,
        e.forloeb_counted,
        round(e.forloeb_fortnights, 1),
        round(e.hours_replaced),
        e.consequences_kr,
        e.effort_cost_kr,
        e.net_kr,
    ]


def savings_table(estimates: Sequence[SavingsEstimate]) -> ReportTable:
    return ReportTable(
        SAVINGS,
        _("Savings estimate"),
        savings_columns(),
        [savings_row(e) for e in estimates],
        [e.slug for e in estimates],
        _("Savings"),
    )


def outcomes_table(results: Sequence[ProgrammeResult]) -> ReportTable:
    columns = [
        _("Programme"),
        _("Questionnaire"),
        _("Answered by"),
        _("Measure"),
        _("Forløb ended"),
        _("Pairs (n)"),
        _("Mean at the start"),
        _("Mean at the end"),
        _("Mean change"),
        _("95 % confidence interval, low"),
        _("95 % confidence interval, high"),
        _("Improved meaningfully"),
    ]
    rows: list[list[Cell]] = []
    keys: list[str] = []
    for result in results:
        for r in result.results:
            i = r.instrument
            for c in r.changes:
                if c.measure == "total":
                    measure = _("Total score")
                else:
                    item = next(
                        ((n, it) for n, it in enumerate(i.items, 1) if it.key == c.measure), None
                    )
                    measure = (
                        f"{item[0]}. {outcome_labels.item_text(item[1])}" if item else c.measure
                    )
                rows.append(
                    [
                        result.programme_name,
                        outcome_labels.title(i),
                        outcome_labels.role_label(r.role),
                        measure,
                        r.ended,
                        c.n,
                        one_decimal(c.mean_baseline),
                        one_decimal(c.mean_end),
                        one_decimal(c.mean_change),
                        one_decimal(c.ci_low),
                        one_decimal(c.ci_high),
                        c.improved,
                    ]
                )
                keys.append(f"{result.programme_slug}:{i.id}:{r.role}:{c.measure}")
    return ReportTable(
        OUTCOMES,
        _("Questionnaires: change from start to end"),
        columns,
        rows,
        keys,
        _("Questionnaires"),
    )


def report_tables(
    o: Overview, estimates: Sequence[SavingsEstimate], results: Sequence[ProgrammeResult]
) -> dict[str, ReportTable]:
    """Every table of the report, by key (``overview``, ``savings``, ``outcomes``)."""
    return {
        OVERVIEW: overview_table(o),
        SAVINGS: savings_table(estimates),
        OUTCOMES: outcomes_table(results),
    }


# -- files ---------------------------------------------------------------------------------------


def _heading(table: ReportTable, period: Period, scope: str) -> str:
    return _("%(table)s, %(scope)s, %(from)s-%(to)s") % {
        "table": table.title,
        "scope": scope,
        "from": period.start.strftime("%d.%m.%Y"),
        "to": period.end.strftime("%d.%m.%Y"),
    }


#: What a spreadsheet takes as the start of a formula (OWASP "CSV Injection"): a text - a
#: municipality's or programme's name - starting with one is written with a ``'`` before it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text for a CSV field, never read as a formula: ``'`` before a leading ``= + - @``, tab
    or carriage return (numbers are written by :func:`_csv_cell` and never escaped)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.1f}" if value != int(value) else f"{value:.0f}"
        return text.replace(".", ",")
    if isinstance(value, str):
        return csv_text(value)
    return str(value)


def csv_bytes(table: ReportTable, period: Period, scope: str) -> bytes:
    """One table as CSV for Danish Excel: a heading line, the columns, the rows."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_text(_heading(table, period, scope))])
    writer.writerow([csv_text(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(
    tables: Sequence[ReportTable], period: Period, scope: str, made: dt.datetime
) -> bytes:
    """The tables as one workbook, a sheet each: a heading row, the columns (bold), the rows.
    Every text is stored as a string (openpyxl would store a text starting with ``=`` as a
    formula): a name is never run."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet((table.sheet or table.key)[:31])
        sheet.append([_heading(table, period, scope)])
        sheet.append(table.columns)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.column_dimensions["A"].width = 44
    book.properties.creator = "Makker"
    book.properties.created = made.replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filename(tenant_slug: str, table: str, period: Period, fmt: str) -> str:
    return f"makker-{tenant_slug}-{table}-{period.start.isoformat()}-{period.end.isoformat()}.{fmt}"


def table_lookup(tables: dict[str, ReportTable], key: str) -> dict[str, list[Any]]:
    """A table's rows by their keys (the first cell dropped), for tests and comparisons."""
    table = tables[key]
    return {k: row[1:] for k, row in zip(table.row_keys, table.rows, strict=True)}
