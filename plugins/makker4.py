"""``makker4``: Makker's own four questions - hope, control, inclusion, satisfaction.

The outcomes Vejle's Peer-to-Peer names for a forløb: hope, control over one's own life,
inclusion (being part of a community) and satisfaction with one's life circumstances, one
question each, answered 0 ("slet ikke", not at all) to 10 ("i meget høj grad", to a very high
degree) about the last two weeks. Each question is reported on its own (``scoring = "items"``);
there is no total, since four unrelated questions do not add up to a scale.

**This is not a validated scale** (``validated = False``): the questions are Makker's, written
for this programme, and have not been tested for reliability or validity. Use the validated
instruments (``who5``, ``swls``, ``mastery``, ``qpr15``) where a result must stand up to
scrutiny; use this one to follow a person's own four outcomes in a short form. Mentors may
answer it too (``respondents = "both"``): Vejle follows the mentor's own inclusion.

Sources: none to verify - the wording is Makker's own, in Danish first with an English rendering.
"""

from __future__ import annotations

from core.plugin_api import Instrument, InstrumentItem, ResponseOption, hookimpl

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

OPTIONS = (
    ResponseOption(value=0, label_da="0 - slet ikke", label_en="0 - not at all"),
    *(ResponseOption(value=v, label_da=str(v), label_en=str(v)) for v in range(1, 10)),
    ResponseOption(
        value=10, label_da="10 - i meget høj grad", label_en="10 - to a very high degree"
    ),
)

ITEMS = (
    InstrumentItem(
        key="hope",
        text_da="I hvor høj grad har du håb for din fremtid?",
        text_en="To what degree do you have hope for your future?",
    ),
    InstrumentItem(
        key="control",
        text_da="I hvor høj grad føler du, at du selv bestemmer over dit liv?",
        text_en="To what degree do you feel that you are in charge of your own life?",
    ),
    InstrumentItem(
        key="inclusion",
        text_da="I hvor høj grad føler du dig som en del af et fællesskab?",
        text_en="To what degree do you feel part of a community?",
    ),
    InstrumentItem(
        key="satisfaction",
        text_da="I hvor høj grad er du tilfreds med dine livsomstændigheder?",
        text_en="To what degree are you satisfied with your life circumstances?",
    ),
)


@hookimpl
def register_instruments() -> Instrument:
    return Instrument(
        id="makker4",
        version="1",
        title_da="Makkers fire spørgsmål (ikke en valideret skala)",
        title_en="Makker's four questions (not a validated scale)",
        intro_da=(
            "Tænk på, hvordan du har haft det i de sidste 2 uger. Svar på en skala fra 0 "
            "(slet ikke) til 10 (i meget høj grad)."
        ),
        intro_en=(
            "Think of how you have been over the last two weeks. Answer on a scale from 0 "
            "(not at all) to 10 (to a very high degree)."
        ),
        items=ITEMS,
        options=OPTIONS,
        respondents="both",
        score_min=0,
        score_max=10,
        direction="higher_is_better",
        scoring="items",
        source="Makkers egne spørgsmål til Vejles Peer-to-Peer-mål: håb, kontrol, inklusion og "
        "tilfredshed.",
        terms_of_use=(
            "Makkers egne spørgsmål, frie at bruge. Ikke en valideret skala: spørgsmålene er "
            "ikke afprøvet for pålidelighed eller validitet, og hvert svar vises for sig."
        ),
        translation_note="Makkers egen tekst, skrevet på dansk; den engelske er en gengivelse.",
        validated=False,
    )
