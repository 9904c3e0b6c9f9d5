"""``qpr15``: the Questionnaire about the Process of Recovery, 15-item version (QPR-15).

Personal recovery as people with lived experience of mental illness describe it: fifteen
statements about the last 7 days, each answered 0 ("Disagree strongly") to 4 ("Agree
strongly"); no item is reversed. The total is the sum, 0-60; higher is more recovery. Mentors in
peer programmes have lived experience too, and Vejle follows the mentor's own recovery, so both
roles may answer it (``respondents = "both"``).

The QPR was developed with service users by Neil et al. (2009, 22 items); Law, Neil, Dunn &
Morrison (2014) found that 7 of the 22 items are redundant and proposed the 15-item, one-factor
version, which Williams et al. (2015) recommend for research and practice.

No Danish version may be shipped with Makker, so the Danish text is Makker's own translation
(``translation_note``), with the original English items kept in ``text_en``.

Verified against (November 2026, through the project's search of stored public sources):

- The 15-item form, its instruction, scale and scoring: PhenX Toolkit protocol "Psychosis
  Recovery Assessment" (QPR, "a 15-item, self-administered rating scale"; "0 = disagree
  strongly, 1 = disagree, 2 = neither agree nor disagree, 3 = agree, 4 = agree strongly ... items
  are added together to give a total recovery score, with higher scores indicating greater
  recovery"; the instruction "...please take a moment to consider and sum up how things stand
  for you at the present time, in particular over the last 7 days, with regards to your mental
  health and recovery. Please respond to the following statements by putting a tick in the box
  which best describes your experience."). ``intro_en`` says "choosing the answer" for the
  paper form's "putting a tick in the box" and leaves out the form's opening paragraph about why
  the questionnaire was developed.
- Item wording: all 22 QPR items in their original order, in English, in Kanehara et al. 2017
  (BMC Psychiatry, doi:10.1186/s12888-017-1520-y, table 3); items 1-8 also in the LAMP
  platform's example export of the "Process of Recovery Questionnaire", in this order; items
  1-3 as the first items of the PhenX 15-item form.
- NOT verified: which of the 22 items make up items 9-15 of the 15-item form. The stored copy of
  the PhenX form breaks off after item 3 and Law et al. 2014's item list could not be retrieved.
  Makker uses items 9-12, 19, 21 and 22 of the 22-item QPR (their numbers in the 22-item QPR are
  confirmed by Kanehara et al. and, for item 19 "I can actively engage with life", by Eklund,
  Neil & Argentzell's Swedish short form, Community Mental Health Journal 2020). Check this
  selection against the 15-item form before relying on totals.
- Terms: "This protocol is freely available; permission not required for use." (PhenX).
- Meaningful change: none published was found, so ``meaningful_change`` is ``None``.
"""

from __future__ import annotations

from core.plugin_api import Instrument, InstrumentItem, ResponseOption, hookimpl

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

OPTIONS = (
    ResponseOption(value=0, label_da="Helt uenig", label_en="Disagree strongly"),
    ResponseOption(value=1, label_da="Uenig", label_en="Disagree"),
    ResponseOption(
        value=2, label_da="Hverken enig eller uenig", label_en="Neither agree nor disagree"
    ),
    ResponseOption(value=3, label_da="Enig", label_en="Agree"),
    ResponseOption(value=4, label_da="Helt enig", label_en="Agree strongly"),
)

ITEMS = (
    InstrumentItem(
        key="better_about_myself",
        text_da="Jeg har det bedre med mig selv",
        text_en="I feel better about myself",
    ),
    InstrumentItem(
        key="take_chances",
        text_da="Jeg føler mig i stand til at tage chancer i livet",
        text_en="I feel able to take chances in life",
    ),
    InstrumentItem(
        key="positive_relationships",
        text_da="Jeg er i stand til at udvikle positive relationer til andre mennesker",
        text_en="I am able to develop positive relationships with other people",
    ),
    InstrumentItem(
        key="part_of_society",
        text_da="Jeg føler mig som en del af samfundet frem for isoleret",
        text_en="I feel part of society rather than isolated",
    ),
    InstrumentItem(
        key="assert_myself",
        text_da="Jeg er i stand til at hævde mig selv",
        text_en="I am able to assert myself",
    ),
    InstrumentItem(
        key="life_has_purpose",
        text_da="Jeg føler, at mit liv har et formål",
        text_en="I feel that my life has a purpose",
    ),
    InstrumentItem(
        key="changed_for_better",
        text_da="Mine erfaringer har forandret mig til det bedre",
        text_en="My experiences have changed me for the better",
    ),
    InstrumentItem(
        key="come_to_terms",
        text_da=(
            "Jeg har kunnet forsone mig med ting, der er sket for mig tidligere, og komme "
            "videre med mit liv"
        ),
        text_en=(
            "I have been able to come to terms with things that have happened to me in the "
            "past and move on with my life"
        ),
    ),
    InstrumentItem(
        key="motivated",
        text_da="Grundlæggende er jeg stærkt motiveret for at få det bedre",
        text_en="I am basically strongly motivated to get better",
    ),
    InstrumentItem(
        key="positive_things_done",
        text_da="Jeg kan anerkende de positive ting, jeg har gjort",
        text_en="I can recognise the positive things I have done",
    ),
    InstrumentItem(
        key="understand_myself",
        text_da="Jeg er i stand til at forstå mig selv bedre",
        text_en="I am able to understand myself better",
    ),
    InstrumentItem(
        key="take_charge",
        text_da="Jeg kan tage styringen i mit liv",
        text_en="I can take charge of my life",
    ),
    InstrumentItem(
        key="engage_with_life",
        text_da="Jeg kan engagere mig aktivt i livet",
        text_en="I can actively engage with life",
    ),
    InstrumentItem(
        key="take_control",
        text_da="Jeg kan tage kontrol over dele af mit liv",
        text_en="I can take control of aspects of my life",
    ),
    InstrumentItem(
        key="time_for_enjoyment",
        text_da="Jeg kan finde tid til at gøre de ting, jeg godt kan lide",
        text_en="I can find the time to do the things I enjoy",
    ),
)


@hookimpl
def register_instruments() -> Instrument:
    return Instrument(
        id="qpr15",
        version="1",
        title_da="Spørgeskema om recovery-processen (QPR-15)",
        title_en="Questionnaire about the Process of Recovery (QPR-15)",
        intro_da=(
            "Tænk et øjeblik over, hvordan tingene står til for dig lige nu, især i de sidste 7 "
            "dage, når det gælder din mentale sundhed og din recovery (bedring). Svar på hvert "
            "udsagn ved at vælge det svar, der bedst beskriver din oplevelse."
        ),
        intro_en=(
            "Please take a moment to consider and sum up how things stand for you at the "
            "present time, in particular over the last 7 days, with regards to your mental "
            "health and recovery. Please respond to the following statements by choosing the "
            "answer which best describes your experience."
        ),
        items=ITEMS,
        options=OPTIONS,
        respondents="both",
        score_min=0,
        score_max=60,
        direction="higher_is_better",
        scoring="sum",
        source=(
            "Neil ST, Kilbride M, Pitt L, Nothard S, Welford M, Sellwood W, Morrison AP. The "
            "questionnaire about the process of recovery (QPR): a measurement tool developed in "
            "collaboration with service users. Psychosis 2009;1(2):145-155. Law H, Neil ST, "
            "Dunn G, Morrison AP. Psychometric properties of the Questionnaire about the Process "
            "of Recovery (QPR). Schizophrenia Research 2014;156(2-3):184-189 (15-item version)."
        ),
        terms_of_use="Frit tilgængeligt; tilladelse er ikke nødvendig (PhenX Toolkit).",
        translation_note=(
            "Makkers egen danske oversættelse, ikke en valideret dansk version; den engelske "
            "original står ved siden af. Hvilke 15 af den oprindelige QPR's 22 spørgsmål der "
            "indgår, er endnu ikke efterprøvet mod den publicerede 15-spørgsmålsudgave (Law m.fl. "
            "2014); læs summen med det forbehold."
        ),
        validated=True,
    )
