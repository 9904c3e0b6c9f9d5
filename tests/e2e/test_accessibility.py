"""Accessibility stays proven (issue 12): every page of the route table in a real browser.

For each HTML page the app serves (the GET routes outside /api/, /realms/, /admin/, /static,
/schema, /auth and /health) and each role that may see it:

* at 1280 px and at 390 px, axe-core (npm ``axe-core``, installed by ``tools/assets.py`` into
  node_modules) finds no WCAG 2.1 A/AA violation (tags wcag2a, wcag2aa, wcag21a, wcag21aa; no
  rule is disabled);
* at 390 x 844 the header (with the menu button) takes at most a fifth of the screen;
* at 320 px nothing scrolls sideways (WCAG 1.4.10 reflow).

``PAGES`` is checked against the app's route table (``test_every_page_is_covered``), so a new page
fails until it is added here - and is then checked like the others.

The sweep runs on SQLite only: it checks the rendered pages, which do not depend on the backend
(the route matrix and the domain tests cover both backends). One world is built for the module;
each (role, width) has one browser context, signed in once, and pages are visited in sequence.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from core import clock as app_clock
from core.activities.models import Activity, ActivityKind, Recurrence
from core.db.session import create_engine, create_sessionmaker
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Meeting
from core.participants.models import ConsentText, Person
from core.tenancy.models import Programme, Tenant
from tests.conftest import AppClock, live_server, make_tenants, migrated_database
from tests.e2e.conftest import ARGS, CHROMIUM
from tests.live import client_for
from tests.test_route_matrix import _OUTCOMES, _objects

MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: The widths checked: a laptop, a phone (axe and the header), the narrowest reflow width.
DESK, PHONE, NARROW = 1280, 390, 320
PHONE_HEIGHT = 844
_DAY = dt.date(2026, 11, 23)

# The roles pages are seen as (the user names are made unique per module world).
ANON, COORD, MENTOR, MENTEE, PARTNER = "anonymous", "coordinator", "mentor", "mentee", "partner"
ADMIN = "admin"
#: A platform admin (the platform report, issue 14).
PLATFORM = "platform"


@dataclass(frozen=True)
class Page:
    roles: tuple[str, ...] = (COORD,)
    #: Which tenant's URL: the municipality ("owner") or the partner.
    under: str = "owner"
    query: str = ""
    #: Buttons or links clicked in order after opening the page, for a state reached through a
    #: form (each lands on a 200 page under the same path); a case reaches its state by itself.
    clicks: tuple[str, ...] = ()


_T = "/t/{tenant_slug:str}"
PAGES: dict[str, Page] = {
    "/": Page((ANON, COORD)),
    "/tilgaengelighedserklaering": Page((ANON,)),
    "/offentlig/{slug:str}/informationsmoeder": Page((ANON,)),
    # The public programme pages (issue 17): the list, the page with its form, the receipt; the
    # refused form is checked in tests/e2e/test_applications_browser.py.
    "/offentlig/{slug:str}": Page((ANON,)),
    "/offentlig/{slug:str}/tilbud/{programme_slug:str}": Page((ANON, COORD)),
    "/offentlig/{slug:str}/tilbud/{programme_slug:str}/tak": Page((ANON,)),
    f"{_T}/ansoegninger": Page(),
    f"{_T}/ansoegninger/{{application_id:uuid}}/slet": Page(),
    _T: Page((COORD, MENTOR)),
    f"{_T}/mit": Page((MENTOR, MENTEE)),
    f"{_T}/partnerskaber": Page(),
    f"{_T}/partnerskaber/{{grant_id:uuid}}": Page((PARTNER,), under="partner"),
    # What partners did in the municipality's programmes (issue 21): its tenant admins only.
    f"{_T}/partnerskaber/aktivitet": Page(("admin",)),
    f"{_T}/deltagere": Page(),
    f"{_T}/deltagere/ny": Page(),
    f"{_T}/deltagere/{{person_id:uuid}}": Page(),
    f"{_T}/deltagere/{{person_id:uuid}}/rediger": Page(),
    f"{_T}/deltagere/tilmelding/{{enrolment_id:uuid}}": Page(),
    f"{_T}/deltagere/tilmelding/{{enrolment_id:uuid}}/bekraeft": Page(query="?til=withdrawn"),
    f"{_T}/hold": Page(),
    f"{_T}/hold/{{course_id:uuid}}": Page(),
    f"{_T}/hold/{{course_id:uuid}}/gange/{{session_id:uuid}}": Page(),
    f"{_T}/aktiviteter": Page((COORD, MENTOR)),
    f"{_T}/aktiviteter/{{activity_id:uuid}}": Page(),
    f"{_T}/aktiviteter/{{activity_id:uuid}}/{{day:date}}": Page(),
    f"{_T}/matchning": Page(),
    f"{_T}/matchning/{{programme_slug:str}}": Page(),
    f"{_T}/matchning/{{programme_slug:str}}/ventelisten": Page(),
    f"{_T}/matchning/{{programme_slug:str}}/borger/{{mentee_id:uuid}}": Page(),
    f"{_T}/forloeb": Page(),
    f"{_T}/forloeb/opmaerksomhed": Page(),
    f"{_T}/forloeb/{{forloeb_id:uuid}}": Page((COORD, MENTOR, MENTEE)),
    f"{_T}/forloeb/{{forloeb_id:uuid}}/moede": Page((COORD, MENTOR)),
    # Outcome questionnaires (issue 13): the citizen's open QPR-15 baseline (15 radio groups),
    # its correction page (nothing sent yet: it says so), results and the instruments.
    f"{_T}/forloeb/{{forloeb_id:uuid}}/spoergeskema/{{occasion:str}}": Page((COORD, MENTEE)),
    f"{_T}/forloeb/{{forloeb_id:uuid}}/spoergeskema/{{occasion:str}}/ret": Page((COORD, MENTEE)),
    f"{_T}/resultater": Page(),
    f"{_T}/spoergeskemaer": Page((COORD, MENTEE)),
    # Reports (issue 14): the overview with charts, savings and exports; a programme's
    # savings assumptions and their history.
    f"{_T}/rapporter": Page((COORD, ADMIN)),
    f"{_T}/rapporter/besparelse/{{programme_slug:str}}": Page((COORD, ADMIN)),
    # The partner's aggregate (the grant on `p`: suppressed figures) and the platform report.
    f"{_T}/rapporter/partner": Page((PARTNER,), under="partner"),
    "/platform/rapport": Page((PLATFORM,)),
    # Members and invitations (issue 17): the tenant admin's pages, and the invited person's
    # page (here with no open invitation).
    f"{_T}/medlemmer": Page((ADMIN,)),
    f"{_T}/medlemmer/inviter": Page((ADMIN,)),
    f"{_T}/medlemmer/{{member_id:uuid}}/fjern": Page((ADMIN,)),
    f"{_T}/invitation": Page((COORD,)),
    # Notifications (issue 16): the messages in the header's list, the person's choices, the
    # coordinators' failed deliveries (one failed e-mail), planning a meeting and the planned
    # meeting the reminder links to (with "Meld afbud"), the development mailbox.
    f"{_T}/beskeder": Page((COORD, MENTOR)),
    f"{_T}/beskeder/valg": Page((MENTOR,)),
    f"{_T}/beskeder/fejlede": Page(),
    f"{_T}/forloeb/{{forloeb_id:uuid}}/planlaeg": Page((COORD, MENTOR)),
    f"{_T}/forloeb/{{forloeb_id:uuid}}/planlagt/{{planned_id:uuid}}": Page((COORD, MENTOR)),
    f"{_T}/udvikling/postkasse": Page(),
    f"{_T}/beskeder/person/{{person_id:uuid}}": Page(),
    # GDPR (issue 15): who has seen a person's data, everything held about the person (the
    # printable export), and the person's own log from "Mit forløb".
    f"{_T}/deltagere/{{person_id:uuid}}/adgangslog": Page((COORD, ADMIN)),
    f"{_T}/deltagere/{{person_id:uuid}}/indsigt": Page(),
    f"{_T}/mit/adgangslog": Page((MENTOR, MENTEE)),
    # Erasure (what is removed and kept, the confirmation form) and the legal hold page with
    # its form (a tenant admin).
    f"{_T}/deltagere/{{person_id:uuid}}/sletning": Page((COORD, ADMIN)),
    f"{_T}/deltagere/{{person_id:uuid}}/retligt-stop": Page((COORD, ADMIN)),
}
#: GET routes in the swept part of the route table that are not HTML pages.
NOT_PAGES = {
    "/sprog/{code:str}": "sets the language and redirects",
    "/kalender/{token:str}": "an iCalendar feed",
    "/t/{tenant_slug:str}/rapporter/eksport": "a CSV or XLSX file",
    "/t/{tenant_slug:str}/rapporter/partner/eksport": "a CSV or XLSX file",
    "/offentlig/{slug:str}/informationsmoeder.ics": "an iCalendar feed",
    "/t/{tenant_slug:str}/beskeder/antal": "the header's count of unread messages (htmx)",
}
#: Not part of the route table, but pages all the same: the error page.
EXTRA = {
    "not-found": (f"{_T}/findes-ikke", Page()),
    # The partner's own list (a branch of the partnerships template of its own).
    "/t/partnerskaber (partner)": (f"{_T}/partnerskaber", Page((PARTNER,), under="partner")),
    # The partner's front page with its aggregate in total (issue 14).
    "/t (partner front)": (_T, Page((PARTNER,), under="partner")),
    # Issue 21: the tenant admin's grant form with the three scopes, and the partner co-running
    # programme `p` (grant scope `coordinate`) in the municipality's space, under its banner.
    "/t/partnerskaber (admin)": (f"{_T}/partnerskaber", Page(("admin",))),
    "/t/matchning (coordinate partner)": (
        f"{_T}/matchning/{{programme_slug:str}}",
        Page((PARTNER,)),
    ),
    # Mit forløb's calendar section: a link just made (shown once, with "Kopiér link"), the
    # confirmation step of revoking it, and the page after revoking.
    "/t/mit (calendar link made)": (f"{_T}/mit", Page((MENTOR,), clicks=("#calendar-create",))),
    "/t/mit (calendar link, confirm revoking)": (
        f"{_T}/mit",
        Page((MENTOR,), clicks=("#calendar-create", "#calendar-revoke-start")),
    ),
    # The citizen's sent WHO-5 baseline: the page that says it is sent, the correction form
    # (every item filled in, a reason), and her answers over time on the person page.
    "/t/spoergeskema (sent)": (
        f"{_T}/forloeb/{{forloeb_id:uuid}}/spoergeskema/who5:mentee:baseline:1",
        Page((COORD, MENTEE)),
    ),
    "/t/spoergeskema (correct)": (
        f"{_T}/forloeb/{{forloeb_id:uuid}}/spoergeskema/who5:mentee:baseline:1/ret",
        Page((COORD, MENTEE)),
    ),
    "/t/deltagere (answers over time)": (f"{_T}/deltagere/{{mentee_person}}", Page()),
    # An enrolment that came from the public page: the application on it (issue 17).
    "/t/deltagere/tilmelding (application)": (
        f"{_T}/deltagere/tilmelding/{{applied_enrolment}}",
        Page(),
    ),
    # Mit forløb with a questionnaire due (the citizen's QPR-15, the mentor's own) and the
    # citizen's answers over time, with the alert shown after "Gem og fortsæt senere".
    "/t/mit (questionnaire due, answers saved)": (
        f"{_T}/mit",
        Page((MENTEE,), query="?spoergeskema=gemt"),
    ),
    "/t/mit (calendar link revoked)": (
        f"{_T}/mit",
        Page((MENTOR,), clicks=("#calendar-create", "#calendar-revoke-start", "#calendar-revoke")),
    ),
}
SKIPPED_PREFIXES = ("/api/", "/realms/", "/admin/", "/static", "/schema", "/auth", "/health")

#: The page's scroll width, and visible elements reaching past the viewport's right edge that
#: no scrolling (or clipping) container holds.
REFLOW = """() => {
    const edge = document.documentElement.clientWidth + 0.5;
    const held = el => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return true;
        }
        return false;
    };
    const box = el => el.getBoundingClientRect();
    const cut = [...document.body.querySelectorAll("*")]
        .filter(el => box(el).width > 0 && box(el).right > edge)
        .filter(el => getComputedStyle(el).visibility !== "hidden" && !held(el))
        .slice(0, 5)
        .map(el => `${el.tagName.toLowerCase()}.${el.className} ${box(el).right}`);
    return [document.documentElement.scrollWidth, cut];
}"""

#: Known violations left for later, as (page, width, rule id): each an xfail(strict=True).
KNOWN: dict[tuple[str, int, str], str] = {}


def _page_routes(app: Any) -> set[str]:
    return {
        route.path
        for route in app.routes
        if "GET" in getattr(route, "methods", ()) and not route.path.startswith(SKIPPED_PREFIXES)
    }


# -- the module's world: SQLite, one live server, the app's clock on one day -------------------


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="module")
def database(backend, _migrated, tmp_path_factory, request):
    return migrated_database(backend, _migrated, tmp_path_factory, request)


@pytest.fixture(scope="module")
def live(backend, database, _live_servers):
    return live_server(backend, database, _live_servers)


@pytest.fixture(scope="module")
def _on_day() -> Iterator[None]:
    previous = app_clock.get_clock()
    AppClock().set(_DAY)
    yield
    app_clock.set_clock(previous)


@dataclass
class World:
    urls: dict[str, str]  # placeholder -> value
    users: dict[str, str]  # role -> user name
    owner: str
    partner: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(live, database, _on_day) -> AsyncIterator[World]:
    """A municipality with programme ``p``: a ready mentor on a hold and in an activity, a waiting
    citizen, an active forløb whose pair are the mentor persona and a citizen persona, a published
    information meeting, and a grant to the partner on ``p``."""
    engine = create_engine(database.app_url)
    sessionmaker = create_sessionmaker(engine)
    tenants = await make_tenants(sessionmaker)
    owner, partner = tenants.a.slug, tenants.partner.slug
    users = {
        COORD: f"a11y-coord-{owner}",
        MENTOR: f"a11y-mentor-{owner}",
        PARTNER: f"a11y-partner-{owner}",
        "admin": f"a11y-admin-{owner}",
        PLATFORM: f"a11y-platform-{owner}",
        MENTEE: f"a11y-mentee-{owner}",
    }
    live.add_user(users[COORD], ("coordinator",), (owner,))
    live.add_user(users[MENTOR], ("mentor",), (owner,))
    live.add_user(users[MENTEE], ("mentee",), (owner,))
    live.add_user(users[PARTNER], ("partner_staff",), (partner,))
    live.add_user(users["admin"], ("tenant_admin",), (owner,))
    live.add_user(users[PLATFORM], ("platform_admin",), ())
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                slug="p",
                name="Borger til Borger - peer-mentorforløb for psykisk sårbare voksne",
                type="peer_mentor",
                areas=["psykiatri"],
                policy={"duration_months": {"min": 6, "max": 9}, "meeting_frequencies": ["weekly"]},
                plugins={},
                outcomes=_OUTCOMES,
                public=_PUBLIC,
            )
            session.add(programme)
            await session.flush()
            applied = await _application(session, programme)
            # Savings assumptions (issue 14): the report shows the estimate with its chart, and
            # the tenant admin's form is filled in.
            from core.reports.models import SavingsAssumptionVersion

            session.add(
                SavingsAssumptionVersion(
                    programme_id=programme.id,
                    version=1,
                    source="file",
                    support_hours_per_fortnight=4.5,
                    hourly_cost=560,
                    share_otherwise_supported_percent=90,
                    coordinator_hours_per_week=15.0,
                    coordinator_hourly_cost=420,
                    note="Antagelser fra konfigurationsfilen; ingen offentlig timepris fundet.",
                    changed_by="tenants-sync",
                )
            )
            text = ConsentText(programme_id=programme.id, version=1, body="Tekst", created_by="t")
            session.add(text)
            await session.flush()
            objects = await _objects(live, session, programme, text, (users[MENTOR], users[MENTEE]))
            # The citizen of the forløb (her sent WHO-5 baseline is on her person page).
            citizen = await session.scalar(select(Person).where(Person.name == "Matrix Makker"))
            # Real data is longer than the matrix's: long addresses and words must reflow.
            person = await session.get_one(Person, uuid.UUID(objects["{person_id:uuid}"]))
            person.name = "Marie-Louise Christiansen-Søndergaard"
            person.email = "marie-louise.christiansen-soendergaard@socialpsykiatrien-eksempel.dk"
            person.phone = "+45 12 34 56 78"
            person.address = "Sønder Boulevard 123, 3. tv., Arbejdsmarkedsuddannelsescentret"
            person.postal_code = "7100"
            session.add(
                Meeting(
                    forloeb_id=uuid.UUID(objects["{forloeb_id:uuid}"]),
                    day=_DAY - dt.timedelta(days=3),
                    activity="gaatur",
                    duration_minutes=90,
                    note="Gåtur ved Vejle Fjord; hun fortalte om beskæftigelsesindsatsen"
                    " og Arbejdsmarkedsuddannelsescentrets kurser.",
                    logged_as="coordinator",
                    logged_by="t",
                )
            )
            session.add(
                Activity(
                    programme_id=programme.id,
                    kind=ActivityKind.INFO_MEETING,
                    title="Informationsmøde om Borger til Borger",
                    description="Hør om at blive mentor eller få en makker.",
                    place="Rådhuset, Torvet 1",
                    room="Mødelokale 2",
                    first_on=_DAY + dt.timedelta(days=7),
                    starts=dt.time(17),
                    ends=dt.time(18, 30),
                    recurrence=Recurrence.NONE,
                    published=True,
                )
            )
    async with sessionmaker() as session, session.begin():
        found = await session.get_one(Tenant, tenants.partner.id)
        found.name = "Foreningen for Recovery og Psykisk Sundhed i Sydøstjylland"
    async with client_for(live) as http:
        token = await live.access_token(users["admin"])
        response = await http.post(
            f"/api/v1/t/{owner}/partnerships/",
            json={"programme": "p", "partner": partner, "scope": "coordinate"},  # issue 21
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code in (200, 201), response.text
        grant_id = str(response.json()["id"])
    await engine.dispose()
    yield World(
        urls={
            **objects,
            "{grant_id:uuid}": grant_id,
            "{programme_slug:str}": "p",
            "{slug:str}": owner,
            "{mentee_person}": str(citizen.id),
            "{applied_enrolment}": str(applied),
        },
        users=users,
        owner=owner,
        partner=partner,
    )


#: The world programme's public page (issue 17): long Danish words and lines must reflow.
_PUBLIC = {
    "intro": "Frivillige mentorer med egen erfaring støtter borgere i socialpsykiatrien.",
    "offers": [
        "En mentor med erfaringer, der ligner dine",
        "Støttekontaktpersonsordningen, beskæftigelsesindsatsen og uddannelsesvejledningen",
    ],
    "mentee": "Du kan få en mentor, hvis du får støtte i socialpsykiatrien.",
    "mentor": "Du kan blive mentor, hvis du har lært at leve med det.",
    "contact": "Ring til koordinatoren på 70 00 00 00",
}


async def _application(session: Any, programme: Programme) -> uuid.UUID:
    """One application waiting for the coordinator (the list page, the front page and its
    enrolment's page); returns the enrolment's id."""
    from core.applications.models import Application
    from core.participants.models import Enrolment, EnrolmentRole

    person = Person(name="Ansøger Arbejdsmarkedsuddannelsescentret", phone="20 30 40 50")
    session.add(person)
    await session.flush()
    enrolment = Enrolment(
        person_id=person.id, programme_id=programme.id, role=EnrolmentRole.MENTEE, status="applied"
    )
    session.add(enrolment)
    await session.flush()
    session.add(
        Application(
            person_id=person.id,
            enrolment_id=enrolment.id,
            hope="En at gå ture med.\nOg en at snakke med om beskæftigelsesindsatsen.",
            contact_consent_text="Samtykke",
            fingerprint="0" * 64,
        )
    )
    return enrolment.id


class Tabs:
    """One browser context and page per (role, width), signed in once."""

    def __init__(self, browser: Any, live: Any, world: World) -> None:
        self.browser, self.live, self.world = browser, live, world
        self._pages: dict[tuple[str, int], Any] = {}

    async def page(self, role: str, width: int) -> Any:
        key = (role, width)
        if key not in self._pages:
            phone = width < DESK
            context = await self.browser.new_context(
                viewport={"width": width, "height": PHONE_HEIGHT if phone else 900},
                is_mobile=phone,
                has_touch=phone,
                locale="da-DK",
            )
            context.set_default_timeout(10_000)
            page = await context.new_page()
            if role != ANON:
                # Signed out, the tenant's front page leads to the issuer's login page and back.
                tenant = self.world.partner if role == PARTNER else self.world.owner
                front = f"{self.live.url}/t/{tenant}/"
                await page.goto(front)
                await page.click(f'button[data-user="{self.world.users[role]}"]')
                await page.wait_for_url(front)
            self._pages[key] = page
        return self._pages[key]

    async def close(self) -> None:
        for page in self._pages.values():
            await page.context.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tabs(live, world) -> AsyncIterator[Tabs]:
    if not CHROMIUM.exists():
        if os.environ.get("MAKKER_REQUIRE_BROWSER") == "1":
            pytest.fail("MAKKER_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `python tools/assets.py`")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        opened = Tabs(browser, live, world)
        try:
            yield opened
        finally:
            await opened.close()
            await browser.close()


def test_every_page_is_covered(live):
    routes = _page_routes(live.app)
    missing = sorted(routes - set(PAGES) - set(NOT_PAGES))
    stale = sorted((set(PAGES) | set(NOT_PAGES)) - routes)
    assert (missing, stale) == ([], [])


def _url(world: World, path: str, spec: Page) -> str:
    tenant = world.partner if spec.under == "partner" else world.owner
    url = path.replace("{tenant_slug:str}", tenant)
    for placeholder, value in world.urls.items():
        url = url.replace(placeholder, value)
    assert "{" not in url, f"no value for a placeholder in {url}"
    return url + spec.query


def _cases() -> list[Any]:
    cases = []
    for name, (path, spec) in sorted(({p: (p, s) for p, s in PAGES.items()} | EXTRA).items()):
        for role in spec.roles:
            for width in (DESK, PHONE, NARROW):
                marks = [
                    pytest.mark.xfail(strict=True, reason=f"{rule}: {reason}")
                    for (page, w, rule), reason in KNOWN.items()
                    if page == name and w == width
                ]
                short = name.replace(_T, "/t").replace(":str", "").replace(":uuid", "")
                cases.append(
                    pytest.param(path, spec, role, width, id=f"{short}-{role}-{width}", marks=marks)
                )
    return cases


def _report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} - {len(v['nodes'])} x {targets}")
        for node in v["nodes"][:2]:
            lines.append(f"    {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


@MODULE_LOOP
@pytest.mark.parametrize(("path", "spec", "role", "width"), _cases())
async def test_page_is_accessible(tabs, world, live, path, spec, role, width):
    page = await tabs.page(role, width)
    url = _url(world, path, spec)
    response = await page.goto(f"{live.url}{url}")
    expected = 404 if path.endswith("/findes-ikke") else 200
    assert response.status == expected, f"{url}: {response.status}"
    for selector in spec.clicks:
        async with page.expect_navigation() as moved:
            await page.click(selector)
        assert (await moved.value).status == 200, f"{url}, {selector}: {(await moved.value).status}"
    assert page.url.startswith(f"{live.url}{url.split('?')[0]}"), page.url
    if width == NARROW:
        # WCAG 1.4.10: no sideways scrolling at 320 CSS px, and (DKFDS clips the body with
        # overflow-x: hidden) nothing cut off at the right edge outside a scrolling container.
        width_px, cut_off = await page.evaluate(REFLOW)
        assert (width_px, cut_off) == (NARROW, []), f"{url} at 320 px: {width_px} px, {cut_off}"
        return
    if width == PHONE:
        header = await page.evaluate("document.querySelector('header').offsetHeight")
        assert header <= PHONE_HEIGHT / 5, f"the header is {header} px of {PHONE_HEIGHT}"
    violations = await _axe(page)
    assert violations == [], f"{url} at {width} px:\n{_report(violations)}"


async def _axe(page: Any) -> list[dict[str, Any]]:
    # Evaluated over the DevTools protocol: an injected <script> would be inline, which the
    # Content-Security-Policy refuses (core/web/edge.py); evaluate() is not subject to it.
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG21_AA
    )
    assert result["passes"], "axe checked nothing"
    return result["violations"]  # type: ignore[no-any-return]


@MODULE_LOOP
@pytest.mark.parametrize("role", [COORD, MENTOR])
async def test_open_phone_menu_is_accessible(tabs, world, live, role):
    """The menu drawer on a phone, open: the same check as a page (it is hidden until opened)."""
    page = await tabs.page(role, PHONE)
    await page.goto(f"{live.url}/t/{world.owner}/")
    await page.get_by_role("button", name="Menu").click()
    drawer = page.get_by_role("dialog", name="Menu")
    await drawer.get_by_role("button", name="Luk").wait_for()
    violations = await _axe(page)
    await drawer.get_by_role("button", name="Luk").click()
    assert violations == [], _report(violations)
