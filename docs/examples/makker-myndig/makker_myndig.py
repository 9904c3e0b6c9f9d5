"""A mentor must be of age (18), judged from the birth year Makker keeps - no new question."""

import datetime as dt

from core.plugin_api import PersonContext, Role, Verdict, hookimpl

MAKKER_PLUGIN_API = ">=1.0,<2"
RULE = "myndig"
AGE = 18


@hookimpl
def eligibility_verdicts(person: PersonContext, role: Role, today: dt.date):
    if role != "mentor":
        return None
    if person.birth_year is None:
        return Verdict.unknown(
            RULE, {"da": "Fødselsåret mangler.", "en": "The year of birth is missing."}
        )
    # Only the year is kept: on `today` the person is `this_year` old or one year younger.
    this_year = today.year - person.birth_year
    if this_year - 1 >= AGE:
        return Verdict.passed(RULE, {"da": f"Mindst {AGE} år.", "en": f"At least {AGE}."})
    if this_year < AGE:
        return Verdict.failed(RULE, {"da": f"Under {AGE} år.", "en": f"Under {AGE}."})
    return Verdict.unknown(
        RULE,
        {
            "da": f"Fylder {AGE} i år: tjek fødselsdagen.",
            "en": f"Turns {AGE} this year: check the birthday.",
        },
    )
