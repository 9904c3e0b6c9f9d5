"""The record of processing activities (GDPR Art. 30), written from the model tags.

``makker gdpr register [--tenant T] [--output FILE]`` writes it as Markdown: the categories of
personal data (every table with tagged columns and those columns, from the models), the
categories of persons, the purposes, the recipients (the platform's processors and, from the
database, each tenant's partner grants) and the retention (the tenant file's ``retention``
table when there is one; otherwise "not set"). The municipality (the controller) completes it
with what Makker cannot know; ``docs/gdpr.md`` says what.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.tenant_scope import tenant_scope
from core.gdpr.tags import person_tables, personal_columns, tagged_tables
from core.tenancy.models import Programme, ProgrammePartnership, Tenant

#: What each table's personal data is for (the purpose of the processing); a table not named
#: here is listed under "case handling of the programme".
PURPOSES: dict[str, str] = {
    "person": "identify and contact the citizen or volunteer; match mentor and citizen",
    "enrolment": "run the person's part in a programme (status, override reasons)",
    "enrolment_event": "history of the enrolment (reasons for changes)",
    "intake": "the før-samtale: wishes, motivation and challenges, for matching and support",
    "application": "an application from the public programme page",
    "forloeb": "the forløb of a mentor and a citizen (why they were matched)",
    "forloeb_event": "history of the forløb (reasons for pauses and early ends)",
    "meeting": "the pair's meetings (optional private note)",
    "planned_meeting": "planned meetings and reminders (place)",
    "questionnaire_response": "outcome measurement (questionnaire answers and scores)",
    "notification": "messages to the person (in-app, e-mail, SMS)",
    "contact_preference": "the person's consent to be contacted and chosen channels",
    "invitation": "inviting a person or staff member to sign in",
    "tenant_member": "staff and participants' sign-ins and roles (access control)",
    "savings_assumption": "who changed a report's cost assumption",
}

#: Tables whose data is special-category (Art. 9: health, social circumstances) in practice.
SPECIAL_CATEGORY = frozenset(
    {
        "intake",
        "enrolment",
        "enrolment_event",
        "forloeb",
        "forloeb_event",
        "meeting",
        "questionnaire_response",
        "application",
        "person",
    }
)

PROCESSORS = (
    "The hosting provider of the Makker instance (servers, database, backups).",
    "The identity provider (Keycloak; MitID broker if the municipality connects one): sign-in.",
    "The e-mail and SMS gateways set in the tenant file (notifications): address and message.",
)


@dataclass(frozen=True)
class Grant:
    programme: str
    partner: str
    scope: str
    since: dt.datetime
    revoked_at: dt.datetime | None


async def _grants(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession, tenant: Tenant
) -> list[Grant]:
    partners = {t.id: t.name for t in await session.scalars(select(Tenant))}
    # The tenant's own programmes in a transaction of the tenant (row-level security).
    with tenant_scope(tenant.id):
        async with sessionmaker() as own:
            programmes = {p.id: p.name for p in await own.scalars(select(Programme))}
    rows = await session.scalars(
        select(ProgrammePartnership)
        .where(ProgrammePartnership.owner_tenant_id == tenant.id)
        .order_by(ProgrammePartnership.created_at)
    )
    return [
        Grant(
            programmes.get(g.programme_id, str(g.programme_id)),
            partners.get(g.partner_tenant_id, str(g.partner_tenant_id)),
            str(getattr(g.scope, "value", g.scope)),
            g.created_at,
            g.revoked_at,
        )
        for g in rows
    ]


def _retention_lines(config: Any) -> list[str]:
    retention = getattr(config, "retention", None) if config is not None else None
    if not retention:
        return ["Not set: no `retention` in the tenant file. Data is kept until it is erased."]
    values = retention if isinstance(retention, dict) else _struct_dict(retention)
    case, audit = values.get("case_data_months"), values.get("audit_months")
    return [
        (
            f"- Case data (`case_data_months`): {case} months after the person's last enrolment "
            "ended, then anonymised (`makker retention run` and the daily job; a legal hold "
            "postpones it)"
            if case
            else "- Case data (`case_data_months`): not set, kept until the person is erased"
        ),
        (
            f"- Audit log (`audit_months`): {audit} months, then removed in whole sealed blocks "
            "(`makker retention run`, when every municipality sets it)"
            if audit
            else "- Audit log (`audit_months`): not set, kept"
        ),
    ]


def _struct_dict(value: Any) -> dict[str, Any]:
    fields = getattr(value, "__struct_fields__", None) or getattr(value, "__dict__", {})
    if isinstance(fields, dict):
        return dict(fields)
    return {name: getattr(value, name) for name in fields}


def data_categories() -> list[str]:
    """The Markdown table of data categories, from the model tags."""
    linked = {t.name for t in person_tables()}
    lines = [
        "| table | personal data (tagged columns) | Art. 9 | about a person | purpose |",
        "|---|---|---|---|---|",
    ]
    for table in tagged_tables():
        columns = ", ".join(f"`{c}`" for c in personal_columns(table))
        lines.append(
            f"| `{table.name}` | {columns} | {'yes' if table.name in SPECIAL_CATEGORY else 'no'} "
            f"| {'yes' if table.name in linked else 'no'} "
            f"| {PURPOSES.get(table.name, 'case handling of the programme')} |"
        )
    return lines


async def register_markdown(
    sessionmaker: async_sessionmaker[AsyncSession],
    configs: dict[str, Any],
    tenant_slug: str | None = None,
    today: dt.date | None = None,
) -> str:
    """The register as Markdown, for one tenant or every municipality and partner.

    ``configs``: the tenant files by slug (for the retention). :raises LookupError: an
    unknown ``tenant_slug``."""
    with tenant_scope(None):
        return await _register(sessionmaker, configs, tenant_slug, today)


async def _register(
    sessionmaker: async_sessionmaker[AsyncSession],
    configs: dict[str, Any],
    tenant_slug: str | None,
    today: dt.date | None,
) -> str:
    async with sessionmaker() as session:
        query = select(Tenant).order_by(Tenant.slug)
        if tenant_slug:
            query = query.where(Tenant.slug == tenant_slug)
        tenants = list(await session.scalars(query))
        if tenant_slug and not tenants:
            raise LookupError(tenant_slug)
        out = [
            "# Record of processing activities (GDPR article 30)",
            "",
            f"Written by `makker gdpr register` on {(today or dt.date.today()).isoformat()} "
            "from Makker's data model (columns tagged as personal data) and database. "
            "The controller completes what Makker cannot know (see docs/gdpr.md).",
            "",
            "## Categories of persons",
            "",
            "- Citizens (mentees) and applicants of a programme.",
            "- Volunteers (mentors).",
            "- Staff of the municipality and of partner organisations (coordinators, admins).",
            "",
            "## Purposes",
            "",
            "Running peer-mentor programmes: applications, intake interviews, consent, matching "
            "mentor and citizen, following each forløb (meetings, pauses, ends), mentor courses "
            "and group activities, outcome questionnaires, messages to participants, reports "
            "with small numbers suppressed. Legal basis: the municipality's task under the "
            "social services act (Art. 6(1)(e)) and the person's explicit consent for health "
            "and social data (Art. 9(2)(a)), recorded per enrolment.",
            "",
            "## Categories of personal data",
            "",
            *data_categories(),
            "",
            "## Recipients",
            "",
            *(f"- {line}" for line in PROCESSORS),
        ]
        for tenant in tenants:
            grants = await _grants(sessionmaker, session, tenant)
            out += ["", f"## {tenant.name} (`{tenant.slug}`)", "", "### Partner grants", ""]
            if grants:
                out.append("| programme | partner | scope | since | revoked |")
                out.append("|---|---|---|---|---|")
                for g in grants:
                    revoked = g.revoked_at.date().isoformat() if g.revoked_at else "active"
                    out.append(
                        f"| {g.programme} | {g.partner} | {g.scope} | "
                        f"{g.since.date().isoformat()} | {revoked} |"
                    )
            else:
                out.append("None.")
            out += ["", "### Retention", "", *_retention_lines(configs.get(tenant.slug))]
    return "\n".join(out) + "\n"
