"""``who5``: the WHO-5 Well-Being Index (WHO-5 Trivselsindeks), in its Danish version.

Five positively worded statements about the last two weeks, each answered on a six-point scale
from 0 ("På intet tidspunkt" / "At no time") to 5 ("Hele tiden" / "All of the time"); no item is
reversed. The raw score is the sum, 0-25; times 4 it is the 0-100 score Makker reports (0 the
worst, 100 the best well-being). A change of 10 points is meaningful.

Verified against (November 2026, through the project's search of stored public sources):

- Danish item texts, answer labels and their values: Kommunernes Landsforening's FHIR
  questionnaire definition "KLToolsCareWHO-5" (publisher Kommunernes Landsforening; items 1-5
  "I de sidste 2 uger har jeg været glad og i godt humør" ... "I de sidste 2 uger har min
  dagligdag været fyldt med ting der interesserer mig"; answer codes "WHO-5 Hele tiden (5)" ...
  "WHO-5 På intet tidspunkt (0)"); several independent Danish implementations use the same
  wording. The Danish instruction ("Angiv for hvert af de 5 udsagn, hvad der kommer tættest på,
  hvordan du har haft det i de sidste 2 uger") was found in one Danish implementation only; the
  official Danish PDF (psykiatri-regionh.dk/who-5) itself could not be retrieved here, so the
  instruction's exact wording is not verified against it.
- English items, labels and instruction: many copies of the official English version (e.g.
  PsyToolkit's survey library entry): "Please indicate for each of the five statements which is
  closest to how you have been feeling over the last two weeks." The original's next sentence,
  "Notice that higher numbers mean better well-being", refers to the numbered boxes of the paper
  form and is left out because the form shows the labels.
- Scoring (raw 0-25, x4 = 0-100; 0 worst, 100 best): Ergoterapeutforeningen's WHO-5 page and
  Socialstyrelsen's Vidensportal; INSPQ's information sheet 14; mestring.no.
- Meaningful change of 10 points: ../shared/domain/MEASURES.md and the Estonian WHO-5 guidance
  ("a difference of 10 % indicates a significant change"), both after Topp et al. 2015.
- Terms: Vidensportal ("udviklet af professor Per Bech, men kan frit anvendes til måling af
  trivsel"; recommended for before/after measurement of social efforts); INSPQ ("Public domain.
  The source must be mentioned (Psychiatric Center North Zealand)").
"""

from __future__ import annotations

from core.plugin_api import Instrument, InstrumentItem, ResponseOption, hookimpl

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

OPTIONS = (
    ResponseOption(value=0, label_da="På intet tidspunkt", label_en="At no time"),
    ResponseOption(value=1, label_da="Lidt af tiden", label_en="Some of the time"),
    ResponseOption(
        value=2,
        label_da="Lidt mindre end halvdelen af tiden",
        label_en="Less than half of the time",
    ),
    ResponseOption(
        value=3,
        label_da="Lidt mere end halvdelen af tiden",
        label_en="More than half of the time",
    ),
    ResponseOption(value=4, label_da="Det meste af tiden", label_en="Most of the time"),
    ResponseOption(value=5, label_da="Hele tiden", label_en="All of the time"),
)

ITEMS = (
    InstrumentItem(
        key="cheerful",
        text_da="I de sidste 2 uger har jeg været glad og i godt humør",
        text_en="I have felt cheerful and in good spirits",
    ),
    InstrumentItem(
        key="calm",
        text_da="I de sidste 2 uger har jeg følt mig rolig og afslappet",
        text_en="I have felt calm and relaxed",
    ),
    InstrumentItem(
        key="active",
        text_da="I de sidste 2 uger har jeg følt mig aktiv og energisk",
        text_en="I have felt active and vigorous",
    ),
    InstrumentItem(
        key="rested",
        text_da="I de sidste 2 uger er jeg vågnet frisk og udhvilet",
        text_en="I woke up feeling fresh and rested",
    ),
    InstrumentItem(
        key="interested",
        text_da="I de sidste 2 uger har min dagligdag været fyldt med ting der interesserer mig",
        text_en="My daily life has been filled with things that interest me",
    ),
)


@hookimpl
def register_instruments() -> Instrument:
    return Instrument(
        id="who5",
        version="1",
        title_da="WHO-5 Trivselsindeks",
        title_en="WHO-5 Well-Being Index",
        intro_da=(
            "Angiv for hvert af de 5 udsagn, hvad der kommer tættest på, hvordan du har haft "
            "det i de sidste 2 uger."
        ),
        intro_en=(
            "Please indicate for each of the five statements which is closest to how you have "
            "been feeling over the last two weeks."
        ),
        items=ITEMS,
        options=OPTIONS,
        respondents="mentee",
        score_min=0,
        score_max=100,
        direction="higher_is_better",
        scoring="sum",
        multiplier=4,
        meaningful_change=10,
        source=(
            "WHO-5 Trivselsindeks, Psykiatrisk Center Nordsjælland (Region Hovedstadens "
            "Psykiatri), udviklet af Per Bech. Topp CW, Østergaard SD, Søndergaard S, Bech P. "
            "The WHO-5 Well-Being Index: A Systematic Review of the Literature. Psychother "
            "Psychosom 2015;84:167-176."
        ),
        terms_of_use=(
            "WHO-5 kan frit anvendes til måling af trivsel, når kilden angives: Psykiatrisk "
            "Center Nordsjælland."
        ),
        translation_note="Den officielle danske version; den engelske original står ved siden af.",
        validated=True,
    )
