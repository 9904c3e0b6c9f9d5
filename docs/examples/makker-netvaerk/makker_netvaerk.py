"""Three questions about a person's network, scored 3-15 (an example, not a validated scale)."""

from core.plugin_api import Instrument, InstrumentItem, ResponseOption, hookimpl

MAKKER_PLUGIN_API = ">=1.0,<2"

OPTIONS = (
    ResponseOption(value=1, label_da="Passer slet ikke", label_en="Not at all true"),
    ResponseOption(value=2, label_da="Passer lidt", label_en="A little true"),
    ResponseOption(value=3, label_da="Passer delvist", label_en="Partly true"),
    ResponseOption(value=4, label_da="Passer godt", label_en="Mostly true"),
    ResponseOption(value=5, label_da="Passer helt", label_en="Completely true"),
)


@hookimpl
def register_instruments():
    return Instrument(
        id="netvaerk",
        version="1",
        title_da="Mit netværk",
        title_en="My network",
        intro_da="Hvor godt passer hvert udsagn på dig i den seneste måned?",
        intro_en="How true is each statement of you over the last month?",
        items=(
            InstrumentItem(
                key="someone_to_call",
                text_da="Jeg har nogen, jeg kan ringe til, når jeg har det svært.",
                text_en="I have someone to call when things are hard.",
            ),
            InstrumentItem(
                key="often_alone",
                text_da="Jeg føler mig ofte alene.",
                text_en="I often feel alone.",
                reversed=True,  # "Passer helt" (5) counts 1: the total rises with the network
            ),
            InstrumentItem(
                key="communities",
                text_da="Jeg er med i fællesskaber, jeg holder af.",
                text_en="I take part in communities I care about.",
            ),
        ),
        options=OPTIONS,
        respondents="mentee",
        score_min=3,  # 3 items x 1
        score_max=15,  # 3 items x 5
        direction="higher_is_better",
        scoring="sum",
        meaningful_change=2,
        source="Makker's plugin guide (an example).",
        terms_of_use="Free to use; an example, not a validated scale.",
        validated=False,
    )
