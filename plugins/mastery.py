"""``mastery``: the Pearlin Mastery Scale (Pearlin & Schooler 1978), seven items.

How far a person sees their life chances as under their own control. Seven statements in the
standard order, each answered 1 ("Strongly disagree"), 2 ("Disagree"), 3 ("Agree"), 4
("Strongly agree") - Makker uses this direction, agreement rising with the value. The five
negatively worded items 1, 2, 3, 5 and 7 are reversed (an answer of 4 counts 1), items 4 and 6
are not, so the total of 7-28 rises with mastery: higher is more control over one's own life.
All "Strongly agree" gives 5 x 1 + 2 x 4 = 13.

No Danish version may be shipped with Makker, so the Danish text is Makker's own translation
(``translation_note``), with the original English items kept in ``text_en``.

Verified against (November 2026, through the project's search of stored public sources):

- Scoring and reversed items: Carnegie Mellon University's Common Cold Project, "Mastery"
  (Pearlin Mastery Scale, primary reference Pearlin & Schooler 1978): "Scaling 1 = Strongly
  Disagree, 2 = Disagree, 3 = Agree, 4 = Strongly Agree", "Sum items 1R, 2R, 3R, 4, 5R, 6, & 7R",
  sample items "I have little control over the things that happen to me. (reversed)" and "What
  happens to me in the future mostly depends on me."; Harvard's Lee Kum Sheung Center: 7 items,
  1-4, "Items are summed, yielding a range from 7 to 28. Higher scores indicate greater levels
  of mastery".
- Item texts and order: the Panel Study of Income Dynamics, Child Development Supplement 1997
  primary-caregiver codebook (Q2A20A-G: "There is really no way I can solve some of the problems
  I have", "Sometimes I feel that I'm being pushed around in life", "I have little control over
  the things that happen to me", "I can do just about anything I really set my mind to", "I
  often feel helpless in dealing with the problems of life", "What happens to me in the future
  mostly depends on me", "There is little I can do to change many of the important things in my
  life"), which matches the CMU scoring key item by item. (The PSID codes 1 = strongly agree;
  other surveys, e.g. Statistics Canada's, use yet another order - Makker keeps the order of
  the scoring key.)
- The instruction: Pearlin & Schooler give no instruction text that could be found ("No time
  frame or referent period is used", CMU), so ``intro_da``/``intro_en`` are Makker's wording.
- Terms: "Available in the public domain" (CMU Common Cold Project).
- Meaningful change: none published was found, so ``meaningful_change`` is ``None``.
"""

from __future__ import annotations

from core.plugin_api import Instrument, InstrumentItem, ResponseOption, hookimpl

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

OPTIONS = (
    ResponseOption(value=1, label_da="Helt uenig", label_en="Strongly disagree"),
    ResponseOption(value=2, label_da="Uenig", label_en="Disagree"),
    ResponseOption(value=3, label_da="Enig", label_en="Agree"),
    ResponseOption(value=4, label_da="Helt enig", label_en="Strongly agree"),
)

ITEMS = (
    InstrumentItem(
        key="cannot_solve",
        text_da="Nogle af de problemer, jeg har, kan jeg virkelig ikke løse på nogen måde.",
        text_en="There is really no way I can solve some of the problems I have.",
        reversed=True,
    ),
    InstrumentItem(
        key="pushed_around",
        text_da="Nogle gange føler jeg, at jeg bliver kørt rundt med i livet.",
        text_en="Sometimes I feel that I'm being pushed around in life.",
        reversed=True,
    ),
    InstrumentItem(
        key="little_control",
        text_da="Jeg har kun lidt kontrol over de ting, der sker for mig.",
        text_en="I have little control over the things that happen to me.",
        reversed=True,
    ),
    InstrumentItem(
        key="can_do_anything",
        text_da="Jeg kan gøre næsten alt, hvad jeg virkelig sætter mig for.",
        text_en="I can do just about anything I really set my mind to.",
    ),
    InstrumentItem(
        key="helpless",
        text_da="Jeg føler mig ofte hjælpeløs over for livets problemer.",
        text_en="I often feel helpless in dealing with the problems of life.",
        reversed=True,
    ),
    InstrumentItem(
        key="future_depends_on_me",
        text_da="Hvad der sker med mig i fremtiden, afhænger mest af mig selv.",
        text_en="What happens to me in the future mostly depends on me.",
    ),
    InstrumentItem(
        key="little_i_can_change",
        text_da="Der er ikke meget, jeg kan gøre for at ændre mange af de vigtige ting i mit liv.",
        text_en="There is little I can do to change many of the important things in my life.",
        reversed=True,
    ),
)


@hookimpl
def register_instruments() -> Instrument:
    return Instrument(
        id="mastery",
        version="1",
        title_da="Kontrol over eget liv (Pearlins mestringsskala)",
        title_en="Pearlin Mastery Scale",
        intro_da="Hvor enig eller uenig er du i hvert af disse udsagn om dig selv?",
        intro_en="How strongly do you agree or disagree with each of these statements about "
        "yourself?",
        items=ITEMS,
        options=OPTIONS,
        respondents="mentee",
        score_min=7,
        score_max=28,
        direction="higher_is_better",
        scoring="sum",
        source=(
            "Pearlin LI, Schooler C. The structure of coping. Journal of Health and Social "
            "Behavior 1978;19:2-21. Syv udsagn; 1, 2, 3, 5 og 7 vendes."
        ),
        terms_of_use="Skalaen er offentligt tilgængelig (public domain); kilden angives.",
        translation_note=(
            "Makkers egen danske oversættelse, ikke en valideret dansk version; den engelske "
            "original står ved siden af. Indledningen er Makkers egen."
        ),
        validated=True,
    )
