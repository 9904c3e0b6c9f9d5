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
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

import msgspec

#: The two sides of a pair. Enrolments arrive later; until then services take the role.
Role = Literal["mentor", "mentee"]
ROLES: tuple[Role, ...] = ("mentor", "mentee")

#: Lower-case letters, digits and ``_``: plugin, rule, field and programme-type names.
Identifier = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,59}$")]

C = TypeVar("C", bound=msgspec.Struct)


class Outcome(enum.StrEnum):
    """The result of one eligibility rule."""

    PASS = "pass"
    FAIL = "fail"
    #: The rule cannot decide, usually because an intake answer is missing.
    UNKNOWN = "unknown"


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """One rule's verdict on one person for one programme and role.

    ``explanation`` is the plugin's own Danish text, shown to the coordinator as it is.
    """

    rule: Identifier
    outcome: Outcome
    explanation: str

    @classmethod
    def passed(cls, rule: str, explanation: str) -> Verdict:
        return cls(rule=rule, outcome=Outcome.PASS, explanation=explanation)

    @classmethod
    def failed(cls, rule: str, explanation: str) -> Verdict:
        return cls(rule=rule, outcome=Outcome.FAIL, explanation=explanation)

    @classmethod
    def unknown(cls, rule: str, explanation: str) -> Verdict:
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
    :attr:`key` (``"<plugin>.<name>"``). ``label`` and ``help`` are the plugin's own words.
    """

    name: Identifier
    type: FieldType
    label: str
    help: str = ""
    #: Which roles are asked this question.
    roles: tuple[Role, ...] = ROLES
    #: The allowed values of a ``choice`` or ``choices`` field.
    choices: tuple[str, ...] = ()
    #: ``date`` fields only: refuse a date after today.
    not_in_future: bool = False
    #: ``text`` fields only.
    max_length: int = 500
    #: Filled in by the core with the name the plugin is registered under.
    plugin: str = ""

    @property
    def key(self) -> str:
        """Where the value lives in ``Person.attributes``."""
        return f"{self.plugin}.{self.name}"


class DurationMonths(msgspec.Struct, frozen=True):
    min: int
    max: int


class ProgrammeType(msgspec.Struct, frozen=True, kw_only=True):
    """A kind of programme (``type = "..."`` in a tenant file) and its forløb defaults."""

    name: Identifier
    description: str
    default_duration_months: DurationMonths
    default_meeting_frequencies: tuple[str, ...]
    plugin: str = ""


class MatchingStrategy(msgspec.Struct, frozen=True, kw_only=True):
    """A way of proposing mentor-mentee pairs.

    ``scorer`` implements :class:`core.matching.types.Scorer` (``matrix`` for all pairs at
    once, ``explain`` for one pair in Danish); a strategy without a scorer (``manual``) means the
    coordinator pairs people by hand.
    """

    name: Identifier
    description: str
    plugin: str = ""
    scorer: Any = None


class PolicyAction(enum.StrEnum):
    ALLOW = "allow"
    #: The transition may go ahead; the coordinator sees the message.
    WARN = "warn"
    #: The transition must not happen.
    VETO = "veto"


class PolicyDecision(msgspec.Struct, frozen=True, kw_only=True):
    """A plugin's say on a forløb transition; ``message`` is the plugin's own Danish text."""

    rule: Identifier
    action: PolicyAction
    message: str = ""


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
class PersonContext:
    """A person as rules see them: an id and their typed intake answers (no name).

    ``attributes`` maps ``"<plugin>.<field>"`` to a typed value (``datetime.date`` for date
    fields); an unanswered question is absent. ``courses`` holds the person's attendance on
    every mentor course (hold) they take part in, in any of the tenant's programmes: a rule
    compares :attr:`CourseRecord.programme` with its programme's slug.
    """

    id: uuid.UUID
    attributes: Mapping[str, Any] = field(default_factory=dict)
    courses: tuple[CourseRecord, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return self.attributes.get(key, default)


@dataclass(frozen=True)
class Transition:
    """A person moving from one status to another (``None``: something new).

    ``kind`` says what moves. ``"enrolment"``: the person's enrolment status, e.g. ``ready ->
    matched`` when the person is proposed for a forløb. ``"forloeb"``: the forløb the person is
    part of (in ``role``), with the forløb states ``proposed``, ``active``, ``paused``,
    ``completed``, ``ended_early``, ``declined``; the hooks are called once per party.
    """

    person: PersonContext
    role: Role
    from_status: str | None
    to_status: str
    #: When the transition happens (or is attempted).
    on: dt.date
    kind: str = "enrolment"
