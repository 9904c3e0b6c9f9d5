"""``swls``: the Satisfaction With Life Scale (Diener, Emmons, Larsen & Griffin 1985).

Five statements about one's life as a whole, each answered from 1 ("Strongly disagree") to 7
("Strongly agree"); no item is reversed. The total is the sum, 5-35; higher is more satisfied
(the authors' bands: 5-9 extremely dissatisfied, 20 neutral, 31-35 extremely satisfied).

No Danish version may be shipped with Makker, so the Danish text is Makker's own translation
(``translation_note``), with the original English items kept in ``text_en``.

Verified against (November 2026, through the project's search of stored public sources):

- Item texts and order, the seven labels and the 5-35 sum: the scale as reproduced from
  Diener et al. 1985 by AARP ("Take the Happiness Quiz"), Myers' "Assess your strengths"
  (citing Diener, Emmons, Larsen & Griffin 1985, Journal of Personality Assessment 49, 71-75)
  and Harvard's Lee Kum Sheung Center ("Items are summed, yielding a range from 5 to 35. Higher
  scores indicate greater levels of life satisfaction"). All items are keyed the same way.
- The instruction: the original reads "Below are five statements that you may agree or
  disagree with. Using the 1 - 7 scale below, indicate your agreement with each item by placing
  the appropriate number on the line preceding that item. Please be open and honest in your
  responding." ``intro_en`` leaves out the paper form's "by placing the appropriate number on
  the line preceding that item".
- Terms: the authors' former site (quoted in several sources): "The scale is copyrighted but
  you are free to use it without permission or charge by all professionals (researchers and
  practitioners) as long as you give credit to the authors of the scale". The successor site
  (eddiener.com, Diener Education Fund) is reported to add "for non-commercial purposes only";
  that page itself could not be retrieved here.
- Meaningful change: no threshold from the authors was found. A secondary source (NovoPsych)
  calls 3 points (half a standard deviation) meaningful; it is not adopted here, so
  ``meaningful_change`` is ``None``.
"""

from __future__ import annotations

from core.plugin_api import Instrument, InstrumentItem, ResponseOption, hookimpl

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

OPTIONS = (
    ResponseOption(value=1, label_da="Helt uenig", label_en="Strongly disagree"),
    ResponseOption(value=2, label_da="Uenig", label_en="Disagree"),
    ResponseOption(value=3, label_da="Lidt uenig", label_en="Slightly disagree"),
    ResponseOption(
        value=4, label_da="Hverken enig eller uenig", label_en="Neither agree nor disagree"
    ),
    ResponseOption(value=5, label_da="Lidt enig", label_en="Slightly agree"),
    ResponseOption(value=6, label_da="Enig", label_en="Agree"),
    ResponseOption(value=7, label_da="Helt enig", label_en="Strongly agree"),
)

ITEMS = (
    InstrumentItem(
        key="close_to_ideal",
        text_da="Mit liv er på de fleste måder tæt på mit ideal.",
        text_en="In most ways my life is close to my ideal.",
    ),
    InstrumentItem(
        key="conditions",
        text_da="Mine livsvilkår er fremragende.",
        text_en="The conditions of my life are excellent.",
    ),
    InstrumentItem(
        key="satisfied",
        text_da="Jeg er tilfreds med mit liv.",
        text_en="I am satisfied with my life.",
    ),
    InstrumentItem(
        key="important_things",
        text_da="Indtil nu har jeg fået de vigtige ting, jeg ønsker mig i livet.",
        text_en="So far I have gotten the important things I want in life.",
    ),
    InstrumentItem(
        key="change_nothing",
        text_da="Hvis jeg kunne leve mit liv om, ville jeg næsten ikke ændre noget.",
        text_en="If I could live my life over, I would change almost nothing.",
    ),
)


@hookimpl
def register_instruments() -> Instrument:
    return Instrument(
        id="swls",
        version="1",
        title_da="Tilfredshed med livet (SWLS)",
        title_en="Satisfaction With Life Scale (SWLS)",
        intro_da=(
            "Her er fem udsagn, som du kan være enig eller uenig i. Angiv på skalaen fra 1 til "
            "7, hvor enig du er i hvert udsagn. Svar gerne åbent og ærligt."
        ),
        intro_en=(
            "Below are five statements that you may agree or disagree with. Using the 1 - 7 "
            "scale, indicate your agreement with each item. Please be open and honest in your "
            "responding."
        ),
        items=ITEMS,
        options=OPTIONS,
        respondents="mentee",
        score_min=5,
        score_max=35,
        direction="higher_is_better",
        scoring="sum",
        source=(
            "Diener E, Emmons RA, Larsen RJ, Griffin S. The Satisfaction With Life Scale. "
            "Journal of Personality Assessment 1985;49(1):71-75."
        ),
        terms_of_use=(
            "Skalaen er ophavsretligt beskyttet, men må bruges uden tilladelse og betaling af "
            "fagfolk, når skalaens forfattere krediteres: Ed Diener, Robert A. Emmons, Randy J. "
            "Larsen og Sharon Griffin (1985). Forfatternes nuværende side begrænser brugen til "
            "ikke-kommercielle formål."
        ),
        translation_note=(
            "Makkers egen danske oversættelse, ikke en valideret dansk version; den engelske "
            "original står ved siden af."
        ),
        validated=True,
    )
