"""The values plugins receive and return. Import them from :mod:`core.plugin_api`.

Hooks receive read-only *contexts* (:class:`ProgrammeContext`, :class:`PersonContext`,
:class:`Transition`), never database rows, so a plugin cannot reach another tenant's data and
keeps working when the models change. Hooks return small frozen msgspec Structs
(:class:`Verdict`, :class:`IntakeField`, ...), which the core checks before it uses them.
"""

from __future__ import annotations

import builtins
import datetime as dt
import enum
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec

#: The two sides of a pair. Enrolments arrive later; until then services take the role.
Role = Literal["mentor", "mentee"]
ROLES: tuple[Role, ...] = ("mentor", "mentee")

#: Lower-case letters, digits and ``_``: plugin, rule, field and programme-type names.
Identifier = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,59}$")]

C = TypeVar("C", bound=msgspec.Struct)

#: A text a plugin shows to people (an explanation, a label, a message): Danish as a plain
#: ``str``, or both languages as ``{"da": "...", "en": "..."}``. The core shows the user's
#: language and falls back to Danish (:func:`localize`).
Text = str | dict[str, str]
#: The languages a :data:`Text` may give; ``da`` is required.
TEXT_LANGUAGES = ("da", "en")


def localize(text: Text, locale: str | None = None) -> str:
    """``text`` in ``locale`` (default: the language of the current request or command),
    else its Danish."""
    if isinstance(text, str):
        return text
    if locale is None:
        from core.web.i18n import get_locale

        locale = get_locale()
    return text.get(locale) or text.get("da") or ""


def catalog_texts(locale_dir: str | os.PathLike[str], domain: str = "messages") -> Any:
    """Texts from gettext catalogs shipped with a plugin, instead of writing dicts.

    ``locale_dir`` holds ``da/LC_MESSAGES/<domain>.po`` (and ``en/...`` if the English is not
    the msgid itself). Returns ``_``: ``_("The certificate is missing.")`` is the :data:`Text`
    ``{"da": <the Danish msgstr>, "en": <the English msgstr, else the msgid>}``. A msgid without
    a Danish translation raises :class:`LookupError` naming it, so a test catches it.

    :raises FileNotFoundError: if the Danish catalog is missing.
    """
    from babel.messages.pofile import read_po

    def load(locale: str, required: bool) -> dict[str, str]:
        path = Path(locale_dir) / locale / "LC_MESSAGES" / f"{domain}.po"
        if not path.exists() and not required:
            return {}
        with path.open("rb") as po:
            catalog = read_po(po, locale=locale)
        return {str(m.id): str(m.string) for m in catalog if m.id and m.string}

    danish, english = load("da", True), load("en", False)

    def text(msgid: str) -> dict[str, str]:
        if msgid not in danish:
            raise LookupError(f"no Danish translation of {msgid!r} in {locale_dir}")
        return {"da": danish[msgid], "en": english.get(msgid, msgid)}

    return text


def text_fault(text: object) -> str | None:
    """What is wrong with a plugin's :data:`Text`, or ``None``: a non-empty ``str``, or a dict
    with a non-empty ``"da"`` and at most the keys of :data:`TEXT_LANGUAGES`, all strings."""
    if isinstance(text, str):
        return None if text.strip() else "an empty text"
    if not isinstance(text, dict):
        return f"a text must be a str or a dict {{'da': ..., 'en': ...}}, not {type(text).__name__}"
    unknown = sorted(str(k) for k in text if k not in TEXT_LANGUAGES)
    if unknown:
        return f"a text may give only the languages da and en, not {', '.join(unknown)}"
    if not all(isinstance(v, str) for v in text.values()):
        return "a text's translations must be strings"
    if not str(text.get("da", "")).strip():
        return "a text needs its Danish ('da')"
    return None


class Outcome(enum.StrEnum):
    """The result of one eligibility rule."""

    PASS = "pass"
    FAIL = "fail"
    #: The rule cannot decide, usually because an intake answer is missing.
    UNKNOWN = "unknown"


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """One rule's verdict on one person for one programme and role.

    ``rule`` names the rule (lower-case letters, digits and ``_``; checked by the core).
    ``explanation`` is the plugin's own text for the coordinator: Danish, or
    ``{"da": ..., "en": ...}`` (:data:`Text`).
    """

    rule: Identifier
    outcome: Outcome
    explanation: Text

    @classmethod
    def passed(cls, rule: str, explanation: Text) -> Verdict:
        return cls(rule=rule, outcome=Outcome.PASS, explanation=explanation)

    @classmethod
    def failed(cls, rule: str, explanation: Text) -> Verdict:
        return cls(rule=rule, outcome=Outcome.FAIL, explanation=explanation)

    @classmethod
    def unknown(cls, rule: str, explanation: Text) -> Verdict:
        return cls(rule=rule, outcome=Outcome.UNKNOWN, explanation=explanation)


def combine_outcomes(verdicts: list[Verdict]) -> Outcome:
    """All must pass: any ``fail`` fails, else any ``unknown`` is unknown, else ``pass``."""
    outcomes = {v.outcome for v in verdicts}
    if Outcome.FAIL in outcomes:
        return Outcome.FAIL
    if Outcome.UNKNOWN in outcomes:
        return Outcome.UNKNOWN
    return Outcome.PASS


#: Value types of intake fields and how they are stored in JSON:
#: ``date`` ("YYYY-MM-DD"), ``boolean``, ``integer``, ``text``, ``choice`` (one of ``choices``)
#: and ``choices`` (a list of distinct ``choices``).
FieldType = Literal["date", "boolean", "integer", "text", "choice", "choices"]


class IntakeField(msgspec.Struct, frozen=True, kw_only=True):
    """An extra question a programme asks at intake, declared by a plugin.

    The core validates answers by ``type`` and stores them in the person's attributes under
    :attr:`key` (``"<plugin>.<name>"``). ``label`` and ``help`` are the plugin's own words,
    Danish or ``{"da": ..., "en": ...}`` (:data:`Text`).
    """

    name: Identifier
    type: FieldType
    label: Text
    help: Text = ""
    #: Which roles are asked this question.
    roles: tuple[Role, ...] = ROLES
    #: The allowed values of a ``choice`` or ``choices`` field.
    choices: tuple[str, ...] = ()
    #: ``date`` fields only: refuse a date after today.
    not_in_future: bool = False
    #: ``date`` fields only: refuse a date before this day (the core refuses any before
    #: 1900-01-01; name a later day where an earlier one cannot be true).
    earliest: dt.date | None = None
    #: ``text`` fields only.
    max_length: int = 500
    #: Filled in by the core with the name the plugin is registered under.
    plugin: str = ""

    @property
    def key(self) -> str:
        """Where the value lives in ``Person.attributes``."""
        return f"{self.plugin}.{self.name}"


class IntakeValidationError(ValueError):
    """Intake answers the core refuses (as the API answers 400); ``errors`` maps each field's
    key (``"<plugin>.<field>"``) to a message in the user's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class DurationMonths(msgspec.Struct, frozen=True):
    min: int
    max: int


class ProgrammeType(msgspec.Struct, frozen=True, kw_only=True):
    """A kind of programme (``type = "..."`` in a tenant file) and its forløb defaults;
    ``description`` says what it is (:data:`Text`: Danish, or ``{"da": ..., "en": ...}``)."""

    name: Identifier
    description: Text
    default_duration_months: DurationMonths
    default_meeting_frequencies: tuple[str, ...]
    plugin: str = ""


class MatchingStrategy(msgspec.Struct, frozen=True, kw_only=True):
    """A way of proposing mentor-mentee pairs.

    ``scorer`` implements :class:`core.matching.types.Scorer` (``matrix`` for all pairs at
    once, ``explain`` for one pair in Danish); a strategy without a scorer (``manual``) means the
    coordinator pairs people by hand. ``description`` is what pages call the strategy
    (:data:`Text`).
    """

    name: Identifier
    description: Text
    plugin: str = ""
    scorer: Any = None


class PolicyAction(enum.StrEnum):
    ALLOW = "allow"
    #: The transition may go ahead; the coordinator sees the message.
    WARN = "warn"
    #: The transition must not happen.
    VETO = "veto"


class PolicyDecision(msgspec.Struct, frozen=True, kw_only=True):
    """A plugin's say on a forløb transition; ``message`` is the plugin's own text for the
    coordinator (:data:`Text`; needed for ``warn`` and ``veto``)."""

    rule: Identifier
    action: PolicyAction
    message: Text = ""


@dataclass(frozen=True)
class TenantContext:
    """The tenant a hook is called for."""

    slug: str
    name: str
    kind: str


@dataclass(frozen=True)
class ProgrammeContext:
    """The programme a hook is called for, with the configuration of each enabled plugin."""

    tenant: TenantContext
    slug: str
    name: str
    type: str
    areas: tuple[str, ...]
    duration_months: DurationMonths
    meeting_frequencies: tuple[str, ...]
    #: Resolved configuration per enabled plugin (programme -> tenant -> plugin defaults).
    configs: Mapping[str, msgspec.Struct | None] = field(default_factory=dict)

    @property
    def enabled_plugins(self) -> frozenset[str]:
        return frozenset(self.configs)

    def config(self, schema: builtins.type[C]) -> C:
        """Your plugin's configuration for this programme, as an instance of ``schema``.

        :raises LookupError: if no enabled plugin declared ``schema``.
        """
        for value in self.configs.values():
            if isinstance(value, schema):
                return value
        raise LookupError(f"no enabled plugin has the configuration schema {schema.__name__}")


@dataclass(frozen=True)
class CourseRecord:
    """A person's attendance on one mentor course (hold), as recorded by the coordinators."""

    #: The slug of the programme the hold belongs to (compare with ``programme.slug``).
    programme: str
    #: The hold's number ("Hold 10" is 10).
    number: int
    #: How many sessions the hold has in all.
    sessions: int
    #: How many of them the person attended.
    attended: int
    #: The date of the last session the person attended, if any.
    last_attended_on: dt.date | None = None


@dataclass(frozen=True)
class EnrolmentContext:
    """One enrolment of a person (person x programme x role) as plugins see it."""

    #: The enrolment's id.
    id: uuid.UUID
    #: The slug of the programme (compare with ``programme.slug``).
    programme: str
    role: Role
    #: ``interested``, ``intake``, ``eligible``, ``ineligible``, ``ready``, ``matched``,
    #: ``active``, ``finished`` or ``withdrawn``.
    status: str


@dataclass(frozen=True)
class RoleHeld:
    """A role the person has held before: an enrolment of theirs that finished."""

    #: The slug of the programme (compare with ``programme.slug``).
    programme: str
    role: Role


@dataclass(frozen=True)
class PersonContext:
    """A person as rules see them: their non-sensitive basics and typed intake answers - never
    a name, contact details or an address.

    Every field but ``id`` may be empty: a rule that needs one answers ``unknown`` when it is
    missing, never ``pass``.
    """

    #: The person's id (stable; use it to recognise the person, never to look them up).
    id: uuid.UUID
    #: Typed answers to the intake questions of the programme's enabled plugins, by
    #: ``"<plugin>.<field>"`` (``datetime.date`` for date fields); an unanswered question is
    #: absent. Only the questions the programme asks are here.
    attributes: Mapping[str, Any] = field(default_factory=dict)
    #: The person's attendance on every mentor course (hold) they take part in, in any of the
    #: tenant's programmes: compare :attr:`CourseRecord.programme` with ``programme.slug``.
    courses: tuple[CourseRecord, ...] = ()
    #: The year of birth as the person record keeps it (``None``: not recorded). Age on
    #: ``today`` is ``today.year - birth_year`` or one less: a rule that needs "at least 18"
    #: decides on the years it can be sure of (see docs/plugins.md).
    birth_year: int | None = None
    #: The gender as recorded (free text, lower case; the form suggests ``"kvinde"``,
    #: ``"mand"``, ``"andet"`` and ``"ønsker ikke at oplyse"``), or ``None``.
    gender: str | None = None
    #: The four-digit Danish postal code, or ``None``.
    postal_code: str | None = None
    #: The areas of lived experience recorded at the før-samtale of the enrolment being judged
    #: (e.g. ``"misbrug"``, ``"psykiatri"``; the programme's areas are ``programme.areas``).
    areas: frozenset[str] = frozenset()
    #: Roles the person has held before in the tenant's programmes: their finished enrolments.
    roles_held_before: tuple[RoleHeld, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        """The typed answer to ``"<plugin>.<field>"``, or ``default``."""
        return self.attributes.get(key, default)

    def has_held(self, role: Role, programme: str | None = None) -> bool:
        """Whether the person has held ``role`` before (in ``programme``, if given)."""
        return any(
            r.role == role and (programme is None or r.programme == programme)
            for r in self.roles_held_before
        )


@dataclass(frozen=True)
class ForloebContext:
    """A forløb (a mentor-mentee pair's course) as policies see it, before the transition."""

    id: uuid.UUID
    #: ``proposed``, ``active``, ``paused``, ``completed``, ``ended_early`` or ``declined``.
    state: str
    #: The day it became active (``None`` while proposed).
    started_on: dt.date | None
    #: The current plan: the meeting frequency (e.g. ``"weekly"``, one of
    #: ``programme.meeting_frequencies``) and the planned length in months, within the
    #: programme's ``duration_months``.
    frequency: str
    planned_months: int


#: What a transition moves: a person's enrolment, or a forløb.
TransitionKind = Literal["enrolment", "forloeb"]
TRANSITION_KINDS: tuple[TransitionKind, ...] = ("enrolment", "forloeb")


@dataclass(frozen=True)
class Transition:
    """A person moving from one status to another (``None``: something new).

    ``kind`` says what moves. ``"enrolment"``: the person's enrolment status, e.g. ``ready ->
    matched`` when the person is considered for a forløb (:attr:`enrolment` is that
    enrolment). ``"forloeb"``: the forløb the person is part of (in ``role``), with the forløb
    states ``proposed``, ``active``, ``paused``, ``completed``, ``ended_early``,
    ``declined``; the hooks are called once per party, and :attr:`forloeb`, both parties'
    enrolments, the pause and the reason are filled in.
    """

    person: PersonContext
    role: Role
    from_status: str | None
    to_status: str
    #: When the transition happens (or is attempted).
    on: dt.date
    kind: TransitionKind = "enrolment"
    #: The enrolment that moves (``kind="enrolment"``), else ``None``.
    enrolment: EnrolmentContext | None = None
    #: The forløb that moves, as it is before the transition (``kind="forloeb"``).
    forloeb: ForloebContext | None = None
    #: Both parties' enrolments in the forløb (``kind="forloeb"``).
    mentee_enrolment: EnrolmentContext | None = None
    mentor_enrolment: EnrolmentContext | None = None
    #: The first day of the pause: of the pause that begins (``to_status="paused"``: ``on``)
    #: or of the one that ends (from ``paused``); else ``None``.
    pause_start: dt.date | None = None
    #: The day the pair plans to meet again, when the pause has one.
    planned_resume: dt.date | None = None
    #: The reason the coordinator wrote (declining, pausing, ending early), or ``None``.
    reason: str | None = None

    @property
    def paused_days(self) -> int | None:
        """Days of the pause so far, counted up to ``on`` (``None`` without a pause)."""
        return None if self.pause_start is None else (self.on - self.pause_start).days


# -- outcome instruments ----------------------------------------------------------------------
#: Who answers an instrument: the citizen (mentee), the mentor, or either.
Respondents = Literal["mentee", "mentor", "both"]
RESPONDENTS: tuple[Respondents, ...] = ("mentee", "mentor", "both")
#: Whether a higher score means the person is doing better or worse.
Direction = Literal["higher_is_better", "lower_is_better"]
DIRECTIONS: tuple[Direction, ...] = ("higher_is_better", "lower_is_better")
#: How the total is computed: ``sum`` of the item values (after reversal) times ``multiplier``,
#: or ``items``: every item is reported on its own and there is no total.
Scoring = Literal["sum", "items"]
SCORINGS: tuple[Scoring, ...] = ("sum", "items")

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


class InstrumentError(ValueError):
    """An :class:`Instrument` (or one of its items) is declared wrongly; the message names the
    instrument and, where it is about one, the item."""


class ResponseOption(msgspec.Struct, frozen=True, kw_only=True):
    """One answer a person can give to an item: the value it scores and its label."""

    value: int
    label_da: str
    label_en: str


class InstrumentItem(msgspec.Struct, frozen=True, kw_only=True):
    """One question (statement) of an instrument.

    ``text_en`` is the original English wording where the instrument is English (kept beside a
    translation); ``text_da`` is what Danish respondents read. A ``reversed`` item is scored as
    ``(lowest + highest option value) - answer``, so that a higher value always points the same
    way as the instrument's other items.
    """

    key: Identifier
    text_da: str
    text_en: str
    reversed: bool = False


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    """An outcome questionnaire: its items, one answer scale shared by all of them, how it is
    scored and where it comes from.

    All items share ``options``, an ordinal scale: whole numbers in ascending order without
    gaps (0-5, 1-7, ...). An instrument whose items need different scales is declared as several
    instruments. The core checks the declaration when it is made and raises
    :class:`InstrumentError` naming the instrument (and the item) when something does not add up.
    """

    id: Identifier
    #: The version of this declaration (change it when item texts or scoring change; answers
    #: are recorded against it).
    version: str
    title_da: str
    title_en: str
    #: The instruction shown above the items, including its time frame ("the last two weeks").
    intro_da: str
    intro_en: str
    items: tuple[InstrumentItem, ...]
    #: The answer scale of every item, lowest value first.
    options: tuple[ResponseOption, ...]
    respondents: Respondents
    #: The lowest and highest possible score: of the total (``sum``) or of each item (``items``).
    score_min: int
    score_max: int
    direction: Direction
    scoring: Scoring
    #: ``sum`` only: the raw sum is multiplied by this (WHO-5: 4, giving 0-100).
    multiplier: int = 1
    #: The smallest change, in score units, that counts as meaningful (``None``: none published).
    meaningful_change: float | None = None
    #: Where the instrument comes from (authors, publication), shown with it.
    source: str
    #: The terms under which it may be used, shown with it.
    terms_of_use: str
    #: Who translated the Danish text (empty for an original Danish instrument).
    translation_note: str = ""
    #: ``False`` for a scale that has not been validated (shown as such).
    validated: bool
    #: Filled in by the core with the name of the plugin that registers the instrument.
    plugin: str = ""

    def __post_init__(self) -> None:
        name = f"instrument {self.id!r}"

        def fail(message: str) -> InstrumentError:
            return InstrumentError(f"{name}: {message}")

        if not isinstance(self.id, str) or not _IDENTIFIER.match(self.id):
            raise fail("the id must be lower-case letters, digits and _ (2-60 characters)")
        for field_name in ("version", "title_da", "title_en", "source", "terms_of_use"):
            if not str(getattr(self, field_name)).strip():
                raise fail(f"{field_name} must not be empty")
        if self.respondents not in RESPONDENTS:
            raise fail(f"respondents must be one of {', '.join(RESPONDENTS)}")
        if self.direction not in DIRECTIONS:
            raise fail(f"direction must be one of {', '.join(DIRECTIONS)}")
        if self.scoring not in SCORINGS:
            raise fail(f"scoring must be one of {', '.join(SCORINGS)}")
        if not self.items:
            raise fail("it has no items")
        seen: set[str] = set()
        for item in self.items:
            if not isinstance(item.key, str) or not _IDENTIFIER.match(item.key):
                raise fail(
                    f"item {item.key!r}: the key must be lower-case letters, digits and _ "
                    "(2-60 characters)"
                )
            if item.key in seen:
                raise fail(f"item {item.key!r} is declared twice")
            seen.add(item.key)
            if not item.text_da.strip() or not item.text_en.strip():
                raise fail(f"item {item.key!r}: text_da and text_en must not be empty")
        values = [o.value for o in self.options]
        if len(values) < 2:
            raise fail("the answer scale needs at least two options")
        if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            raise fail("option values must be whole numbers")
        low, high = values[0], values[-1]
        if values != list(range(low, low + len(values))):
            raise fail(
                f"the options must be an ordinal scale - whole numbers in ascending order "
                f"without gaps - so that items can be scored and reversed; got {values}"
            )
        for option in self.options:
            if not option.label_da.strip() or not option.label_en.strip():
                raise fail(f"option {option.value}: label_da and label_en must not be empty")
        if isinstance(self.multiplier, bool) or self.multiplier < 1:
            raise fail("multiplier must be a whole number of at least 1")
        if self.scoring == "items":
            if self.multiplier != 1:
                raise fail("a multiplier applies only to scoring 'sum'")
            expected = (low, high)
            how = f"scoring 'items' (each item reported alone) on options {low}-{high}"
        else:
            n = len(self.items)
            expected = (n * low * self.multiplier, n * high * self.multiplier)
            how = f"{n} items x options {low}-{high}" + (
                f" x {self.multiplier}" if self.multiplier != 1 else ""
            )
        if (self.score_min, self.score_max) != expected:
            raise fail(
                f"the score range {self.score_min}-{self.score_max} does not match its "
                f"declaration: {how} gives {expected[0]}-{expected[1]}"
            )
        if self.meaningful_change is not None and not (
            0 < self.meaningful_change <= self.score_max - self.score_min
        ):
            raise fail(
                f"meaningful_change must be above 0 and at most the score range "
                f"({self.score_max - self.score_min}); got {self.meaningful_change}"
            )

    @property
    def item_min(self) -> int:
        """The lowest answer value of every item."""
        return self.options[0].value

    @property
    def item_max(self) -> int:
        """The highest answer value of every item."""
        return self.options[-1].value

    def item(self, key: str) -> InstrumentItem:
        """The item ``key``. :raises KeyError: if the instrument has no such item."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)
