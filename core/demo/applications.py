"""The demo's applications from the public programme pages (issue 17), through the same command
as the form (:func:`core.applications.commands.apply`): they wait on the coordinator's front page
and under "Nye ansøgninger". Matched by name, so seeding twice adds nothing."""

from __future__ import annotations

from core.applications.commands import apply
from core.applications.schemas import ApplicationIn
from core.demo.base import Demo

#: Per tenant: (programme, days ago, the form as sent). Fictional people, as all of the demo's:
#: a phone number beginning with 0 and an e-mail address at example.org. Only Kolding's
#: programme, which no partner has a grant on: an applicant agreed to be contacted by the
#: municipality (a partner with a ``participants`` grant sees a programme's enrolments).
DEMO_APPLICATIONS: dict[str, list[tuple[str, int, ApplicationIn]]] = {
    "kolding": [
        (
            "borger-til-borger",
            3,
            ApplicationIn(
                role="mentee",
                name="Kim Ansøgersen",
                phone="03 45 67 89",
                email="kim.ansoegersen@example.org",
                hope="Jeg vil gerne have en at komme ud af huset sammen med.",
                consent=True,
            ),
        ),
        (
            "borger-til-borger",
            1,
            ApplicationIn(
                role="mentor",
                name="Søren Ansøgersen",
                phone="02 34 56 78",
                email="soeren.ansoegersen@example.org",
                # No health information: the form asks people not to write any.
                hope="Jeg har god tid om eftermiddagen og vil gerne give noget videre - gå ture, "
                "drikke kaffe og lytte.",
                consent=True,
            ),
        ),
    ],
}


async def seed_applications(demo: Demo) -> None:
    """The tenant's demo applications that are not there yet (by the applicant's name)."""
    specs = DEMO_APPLICATIONS.get(demo.tenant.slug, [])
    known = await demo.people([data.name for _p, _d, data in specs])
    for programme, days_ago, data in specs:
        if data.name in known:
            continue
        with demo.on(demo.days_ago(days_ago), hour=20):
            await apply(demo.ctx(), programme, data)
