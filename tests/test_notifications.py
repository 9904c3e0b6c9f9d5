"""Reminders and notifications (issue 16), on SQLite and PostgreSQL with a fixed clock: a planned
meeting's reminder goes out once, the day before at 17:00 Danish time (also across a change of
daylight-saving time); an afbud withdraws it; a person who said no gets nothing; no SMS names a
programme; quiet hours; the coordinators' digest."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import update

from core.clock import COPENHAGEN
from core.db.tenant_scope import tenant_scope
from core.forloeb.planned import PlannedMeetingIn, cancel_meeting, plan_meeting
from core.jobs.tick import tick_tenant
from core.notifications.messages import LANGUAGES, MessageValues, render
from core.notifications.models import KINDS, ContactPreference
from core.tenancy.config import REVEALING_WORDS
from core.tenancy.models import Tenant
from tests.notification_world import in_context, links, make_pair, outbox, runtime_for

REPO = Path(__file__).resolve().parent.parent


def copenhagen(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=COPENHAGEN)


async def _plan(sessionmaker, pair, day: dt.date, time: str = "14:00", place: str = "Caféen"):
    data = PlannedMeetingIn(day=day.isoformat(), time=time, place=place)
    return await in_context(
        sessionmaker,
        pair.tenant,
        lambda ctx: plan_meeting(ctx, pair.forloeb_id, data, links(pair.tenant)),
    )


async def _tenant_file_says(sessionmaker, tenant: Tenant, notifications: dict) -> None:
    """The tenant's ``[notifications]`` as synced from its file (in the row and the object the
    test hands to ``tick_tenant``)."""
    with tenant_scope(None):
        async with sessionmaker() as session, session.begin():
            row = await session.get(Tenant, tenant.id)
            row.notifications = notifications
    tenant.notifications = notifications


def _sent(rows, kind="meeting_reminder"):
    return sorted(
        (str(r.person_id), r.channel, r.status, r.sent_at)
        for r in rows
        if r.kind == kind and r.status == "sent"
    )


@pytest.mark.parametrize(
    ("planned_on", "meeting_day", "due_utc"),
    [
        # planned in summer time (+02:00), reminded on the last day of summer time:
        # Sunday 25 October 2026 is the change; 17:00 that day is winter time, 16:00 UTC
        (
            copenhagen(2026, 10, 20, 10),
            dt.date(2026, 10, 26),
            dt.datetime(2026, 10, 25, 16, tzinfo=dt.UTC),
        ),
        # the day before is the change to summer time (Sunday 28 March 2027): 15:00 UTC
        (
            copenhagen(2027, 3, 22, 10),
            dt.date(2027, 3, 29),
            dt.datetime(2027, 3, 28, 15, tzinfo=dt.UTC),
        ),
        # an ordinary winter week
        (
            copenhagen(2026, 11, 30, 10),
            dt.date(2026, 12, 3),
            dt.datetime(2026, 12, 2, 16, tzinfo=dt.UTC),
        ),
    ],
)
async def test_a_planned_meeting_gives_exactly_one_reminder_the_day_before_at_17(
    sessionmaker, tenants, clock, planned_on, meeting_day, due_utc
):
    clock.set(planned_on)
    pair = await make_pair(sessionmaker, tenants.a, planned_on.date() - dt.timedelta(days=30))
    await _plan(sessionmaker, pair, meeting_day)
    rows = await outbox(sessionmaker, tenants.a)
    # one e-mail per party, written with the meeting, due at 17:00 Danish time the day before
    assert sorted((r.kind, r.channel, r.status, r.due_at) for r in rows) == [
        ("meeting_reminder", "email", "pending", due_utc),
        ("meeting_reminder", "email", "pending", due_utc),
    ]
    assert due_utc.astimezone(COPENHAGEN).time() == dt.time(17, 0)
    runtime = runtime_for(sessionmaker)

    clock.set(due_utc - dt.timedelta(minutes=1))
    await tick_tenant(runtime, tenants.a)
    assert _sent(await outbox(sessionmaker, tenants.a)) == []

    clock.set(due_utc)
    await tick_tenant(runtime, tenants.a)
    for later in (dt.timedelta(minutes=1), dt.timedelta(hours=3), dt.timedelta(days=1)):
        clock.set(due_utc + later)
        await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    sent = _sent(rows)
    assert [(person, channel, status) for person, channel, status, _ in sent] == sorted(
        [(str(pair.mentee_id), "email", "sent"), (str(pair.mentor_id), "email", "sent")]
    )
    # sent by the tick at 17:00 (the next one runs at 17:01 on the test's clock)
    assert all(due_utc <= at < due_utc + dt.timedelta(minutes=1) for *_, at in sent)
    assert {r.transport for r in rows} == {"mailbox"}
    body = rows[0].body
    assert "i morgen" in body and "kl. 14.00" in body
    assert "Borger til Borger" not in body and "Caféen" not in body


async def test_an_afbud_withdraws_the_reminders_and_tells_the_other_party(
    sessionmaker, tenants, clock
):
    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1), mentee_account="iss#anna")
    planned = await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    await in_context(
        sessionmaker,
        pair.tenant,
        lambda ctx: cancel_meeting(ctx, pair.forloeb_id, planned.id, links(pair.tenant)),
    )
    rows = await outbox(sessionmaker, tenants.a)
    reminders = sorted((r.channel, r.status) for r in rows if r.kind == "meeting_reminder")
    assert reminders == [("email", "withdrawn"), ("email", "withdrawn"), ("page", "withdrawn")]
    # cancelled by a coordinator: both are told, now
    told = sorted((r.channel, r.status) for r in rows if r.kind == "meeting_cancelled")
    assert told == [("email", "pending"), ("email", "pending"), ("page", "pending")]
    await tick_tenant(runtime_for(sessionmaker), tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted(r.status for r in rows if r.kind == "meeting_cancelled") == ["sent"] * 3
    assert sorted(r.status for r in rows if r.kind == "meeting_reminder") == ["withdrawn"] * 3


async def test_an_opted_out_person_gets_nothing(sessionmaker, tenants, clock):
    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1), mentor_account="iss#m")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            # the citizen turned reminders off; the mentor withdrew the consent to be contacted
            await session.execute(
                update(ContactPreference)
                .where(ContactPreference.person_id == pair.mentee_id)
                .values(channels={"meeting_reminder": "off"})
            )
            await session.execute(
                update(ContactPreference)
                .where(ContactPreference.person_id == pair.mentor_id)
                .values(consent_withdrawn_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
            )
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    clock.set(copenhagen(2026, 12, 2, 17, 1))
    await tick_tenant(runtime_for(sessionmaker), tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    # nothing for the citizen; for the mentor only the page (nothing leaves Makker)
    assert [(str(r.person_id), r.channel, r.status) for r in rows] == [
        (str(pair.mentor_id), "page", "sent")
    ]


async def test_a_no_given_after_writing_is_respected_at_delivery(sessionmaker, tenants, clock):
    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(ContactPreference)
                .where(ContactPreference.person_id == pair.mentee_id)
                .values(channels={"meeting_reminder": "off"})
            )
    clock.set(copenhagen(2026, 12, 2, 17, 0))
    await tick_tenant(runtime_for(sessionmaker), tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((str(r.person_id), r.status) for r in rows) == sorted(
        [(str(pair.mentee_id), "withdrawn"), (str(pair.mentor_id), "sent")]
    )


async def test_quiet_hours_move_an_e_mail_but_not_the_page(sessionmaker, tenants, clock):
    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1), mentee_account="iss#a")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(ContactPreference)
                .where(ContactPreference.person_id == pair.mentee_id)
                .values(quiet_from=dt.time(16, 0), quiet_to=dt.time(19, 30))
            )
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    rows = await outbox(sessionmaker, tenants.a)
    mentee = {r.channel: r.due_at for r in rows if r.person_id == pair.mentee_id}
    assert mentee == {
        "email": copenhagen(2026, 12, 2, 19, 30).astimezone(dt.UTC),
        "page": copenhagen(2026, 12, 2, 17, 0).astimezone(dt.UTC),
    }


def _programme_names() -> list[str]:
    names = []
    for path in sorted((REPO / "tenants").glob("*.toml")):
        data = tomllib.loads(path.read_text())
        names += [p["name"] for p in data.get("programmes", [])]
    return names


def _tenant_files() -> list[dict]:
    return [tomllib.loads(p.read_text()) for p in sorted((REPO / "tenants").glob("*.toml"))]


def test_no_sms_template_names_a_programme():
    names = _programme_names()
    assert "Mentorordning på misbrugsområdet" in names
    # the words the tenant file's check refuses in the contact line, name and SMS sender
    # (Danish and English stems)
    revealing = [*names, *REVEALING_WORDS]
    slugs = [p["slug"] for data in _tenant_files() for p in data.get("programmes", [])]
    checked = 0
    for data in _tenant_files():
        notifications = data.get("notifications", {})
        values = MessageValues(
            tenant_name=notifications.get("name", data["name"]),
            contact=notifications.get("contact", data["name"]),
            link=f"https://makker.example.dk/t/{data['slug']}/forloeb/1",
            stop_link=f"https://makker.example.dk/t/{data['slug']}/beskeder/valg",
            at=dt.datetime(2026, 12, 3, 13, tzinfo=dt.UTC),
            on=dt.date(2026, 12, 10),
            attention=3,
        )
        for kind, channel, language in itertools.product(KINDS, ("sms", "email"), LANGUAGES):
            rendered = render(kind, channel, values, language)
            text = f"{rendered.title}\n{rendered.body}".lower()
            # the words outside the links (a link carries the tenant's slug, and
            # Psykiatrifonden's is its name; partners have no people who get messages)
            words = re.sub(r"https://\S+", "<link>", text)
            if data["kind"] == "partner":
                # a partner has no people of its own to message; its name (Psykiatrifonden)
                # is its signature - a tenant whose name reveals sets [notifications] name
                words = words.replace(values.tenant_name.lower(), "<tenant>")
            found = [word for word in revealing if word.lower() in words]
            assert found == [], (data["slug"], kind, channel, found)
            assert not any(slug in text for slug in slugs), (data["slug"], kind, channel)
            checked += 1
            sms = render(kind, "sms", values, language).body
            assert len(sms) <= 3 * 153, (kind, len(sms))
            if kind != "digest":
                assert ("Stop messages" if language == "en" else "Stop beskeder") in sms
                # a citizen without a sign-in can phone to stop messages or give an afbud
                assert values.contact in sms
    assert checked == 2 * len(KINDS) * len(LANGUAGES) * len(_tenant_files())


def test_every_message_says_how_to_stop():
    values = MessageValues(
        "Kommune A",
        "ring 01 23 45 67",
        "https://x/l",
        "https://x/stop",
        at=dt.datetime(2026, 12, 3, 13, tzinfo=dt.UTC),
        on=dt.date(2026, 12, 10),
    )
    for kind, channel, language in itertools.product(KINDS, ("email", "sms"), LANGUAGES):
        body = render(kind, channel, values, language).body
        if kind == "digest" and channel == "email":
            assert "koordinatorernes" in body  # the digest is Danish only
        else:
            assert "https://x/stop" in body, (kind, channel, language)


async def test_the_weekly_digest_goes_once_to_the_coordinators_address(
    sessionmaker, tenants, clock
):
    await _tenant_file_says(
        sessionmaker, tenants.a, {"contact": "ring 01 23 45 67", "digest_to": "team@example.org"}
    )
    runtime = runtime_for(sessionmaker)
    clock.set(copenhagen(2026, 11, 30, 6, 59))  # Monday, before 07:00
    await tick_tenant(runtime, tenants.a)
    assert [r.kind for r in await outbox(sessionmaker, tenants.a)] == []
    for minute in (0, 1, 2):
        clock.set(copenhagen(2026, 11, 30, 7, minute))
        await tick_tenant(runtime, tenants.a)
    rows = await outbox(sessionmaker, tenants.a)
    assert [(r.kind, r.address, r.status) for r in rows] == [("digest", "team@example.org", "sent")]
    assert "Forløb, der trænger til opmærksomhed: 0" in rows[0].body


async def test_a_proposal_tells_both_parties_in_its_own_transaction(
    live, sessionmaker, tenants, clock
):
    from tests.test_forloeb import TODAY, _api, _world

    clock.set(TODAY)
    ids = await _world(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            for name in ("Anna Angst", "Mette Mentor", "Bent Bipolar"):
                session.add(
                    ContactPreference(
                        person_id=ids[f"person:{name}"],
                        consent_given_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                        channels={},
                    )
                )
    api = await _api(live, tenants.a, f"notify-coord-{tenants.a.slug}")
    refused = await api.post(
        "/programmes/btb/proposals",
        json={"pairs": [{"mentee": str(ids["Bent Bipolar"]), "mentor": str(ids["Pia Pause"])}]},
    )
    assert refused.status_code == 400
    assert await outbox(sessionmaker, tenants.a) == []  # nothing stored, nothing to send
    created = await api.post(
        "/programmes/btb/proposals",
        json={"pairs": [{"mentee": str(ids["Anna Angst"]), "mentor": str(ids["Mette Mentor"])}]},
    )
    assert created.status_code == 201
    rows = await outbox(sessionmaker, tenants.a)
    # a phone number and no e-mail address: SMS, written with the proposal, due at once
    assert sorted((str(r.person_id), r.kind, r.channel, r.status) for r in rows) == sorted(
        (str(ids[f"person:{name}"]), "proposal_waiting", "sms", "pending")
        for name in ("Anna Angst", "Mette Mentor")
    )
    assert all(r.link.startswith(f"{live.url}/t/{tenants.a.slug}/forloeb/") for r in rows)
    # the citizen says yes before the worker comes round: her message is withdrawn, not sent;
    # the tick writes nothing new (the mentor's is there already) and sends the mentor's
    accepted = await api.post(
        f"/forloeb/{created.json()[0]['id']}/acceptances", json={"party": "mentee"}
    )
    assert accepted.status_code == 200, accepted.text
    await api.aclose()
    written, _ = await tick_tenant(runtime_for(sessionmaker), tenants.a)
    assert written == 0
    rows = await outbox(sessionmaker, tenants.a)
    assert sorted((str(r.person_id), r.status) for r in rows) == sorted(
        [
            (str(ids["person:Anna Angst"]), "withdrawn"),
            (str(ids["person:Mette Mentor"]), "sent"),
        ]
    )


async def test_the_tenant_file_sets_the_reminder_time_and_the_digests_day_and_time(
    sessionmaker, tenants, clock
):
    await _tenant_file_says(
        sessionmaker,
        tenants.a,
        {
            "contact": "ring 01 23 45 67",
            "digest_to": "team@example.org",
            "reminder_time": "09:30",
            "digest_day": "friday",
            "digest_time": "13:15",
        },
    )
    clock.set(copenhagen(2026, 11, 30, 8))  # Monday
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    due = copenhagen(2026, 12, 2, 9, 30).astimezone(dt.UTC)
    assert [(r.kind, r.due_at) for r in await outbox(sessionmaker, tenants.a)] == [
        ("meeting_reminder", due)
    ] * 2
    runtime = runtime_for(sessionmaker)
    clock.set(copenhagen(2026, 11, 30, 8, 1))  # Monday 08:01: not the digest's day
    await tick_tenant(runtime, tenants.a)
    clock.set(copenhagen(2026, 12, 2, 9, 29))
    await tick_tenant(runtime, tenants.a)
    assert _sent(await outbox(sessionmaker, tenants.a)) == []
    clock.set(copenhagen(2026, 12, 2, 9, 30))
    await tick_tenant(runtime, tenants.a)
    assert len(_sent(await outbox(sessionmaker, tenants.a))) == 2
    clock.set(copenhagen(2026, 12, 4, 13, 14))  # Friday, a minute early
    await tick_tenant(runtime, tenants.a)
    assert _sent(await outbox(sessionmaker, tenants.a), "digest") == []
    for minute in (15, 16):
        clock.set(copenhagen(2026, 12, 4, 13, minute))
        await tick_tenant(runtime, tenants.a)
    digests = [r for r in await outbox(sessionmaker, tenants.a) if r.kind == "digest"]
    assert [(r.status, r.sent_at.astimezone(COPENHAGEN).strftime("%a %H:%M")) for r in digests] == [
        ("sent", "Fri 13:15")
    ]


async def test_a_person_who_chose_english_gets_english_messages(sessionmaker, tenants, clock):
    """The language is the person's choice (``/beskeder/valg``); without one, Danish."""
    clock.set(copenhagen(2026, 11, 30, 10))
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 1))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(ContactPreference)
                .where(ContactPreference.person_id == pair.mentee_id)
                .values(language="en", channels={"meeting_reminder": "sms"})
            )
    await _plan(sessionmaker, pair, dt.date(2026, 12, 3))
    rows = {r.person_id: r for r in await outbox(sessionmaker, tenants.a)}
    english, danish = rows[pair.mentee_id], rows[pair.mentor_id]
    assert (english.channel, english.title) == ("sms", "Reminder: meeting tomorrow at 14:00")
    assert english.body == (
        "Reminder: You have a meeting with your Makker partner tomorrow at 14:00. See the place "
        f"or cancel: {english.link}\n\nKommune A\nStop messages: {links(tenants.a).stop}\n"
    )
    assert (danish.channel, danish.title) == ("email", "Påmindelse: møde i morgen kl. 14.00")
    assert "torsdag den 3. december kl. 14.00" in danish.body
    english_mail = render(
        "meeting_reminder",
        "email",
        MessageValues(
            "Kommune A",
            "ring 01 23 45 67",
            "https://x/l",
            "https://x/stop",
            at=copenhagen(2026, 12, 3, 14),
        ),
        "en",
        sent_on=dt.date(2026, 12, 2),
    )
    assert "tomorrow, Thursday 3 December at 14:00." in english_mail.body
    assert "No more messages? Turn them off here: https://x/stop" in english_mail.body


async def test_the_digest_counts_attention_applications_missed_questionnaires_and_failures(
    sessionmaker, tenants, clock
):
    """Numbers only: a pair without meetings, an application from the week, a questionnaire
    that closed unanswered in the week, a message that could not be delivered."""
    from sqlalchemy import select

    from core.applications.models import Application
    from core.notifications.models import Notification
    from core.participants.models import Consent, ConsentText, Enrolment
    from core.tenancy.models import Programme

    await _tenant_file_says(
        sessionmaker, tenants.a, {"contact": "ring 01 23 45 67", "digest_to": "team@example.org"}
    )
    clock.set(copenhagen(2026, 11, 26, 10))
    # started 12 November: the baseline (14 days) closed 25 November, unanswered
    pair = await make_pair(sessionmaker, tenants.a, dt.date(2026, 11, 12))
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme))
            programme.outcomes = [{"instrument": "who5", "respondents": "mentee", "at_end": False}]
            text = ConsentText(programme_id=programme.id, version=1, body="T", created_by="t")
            session.add(text)
            await session.flush()
            enrolments = list(await session.scalars(select(Enrolment)))
            for enrolment in enrolments:
                session.add(
                    Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by="t")
                )
            session.add(
                Application(
                    person_id=pair.mentee_id,
                    enrolment_id=enrolments[0].id,
                    contact_consent_text="Ja",
                    fingerprint="f" * 64,
                    created_at=copenhagen(2026, 11, 27, 9).astimezone(dt.UTC),
                )
            )
            session.add(
                Notification(
                    idempotency_key="x:failed",
                    kind="meeting_reminder",
                    channel="sms",
                    person_id=pair.mentor_id,
                    due_at=copenhagen(2026, 11, 27, 17).astimezone(dt.UTC),
                    status="failed",
                    attempts=8,
                    last_error="HTTP 503",
                    title="t",
                    body="b",
                    link="l",
                    created_at=copenhagen(2026, 11, 27, 17).astimezone(dt.UTC),
                    updated_at=copenhagen(2026, 11, 28, 5).astimezone(dt.UTC),
                )
            )
    clock.set(copenhagen(2026, 11, 30, 7, 0))  # Monday 07:00
    await tick_tenant(runtime_for(sessionmaker), tenants.a)
    (digest,) = [r for r in await outbox(sessionmaker, tenants.a) if r.kind == "digest"]
    assert (digest.address, digest.status) == ("team@example.org", "sent")
    assert (
        "- Forløb, der trænger til opmærksomhed: 1\n"
        "- Nye ansøgninger siden sidste uge: 1\n"
        "- Spørgeskemaer, der lukkede ubesvaret i ugen: 1\n"
        "- Beskeder, der ikke kunne leveres: 1\n"
    ) in digest.body
    assert "Anna" not in digest.body and "Borger til Borger" not in digest.body
