"""Tenant configuration as code: one TOML file per tenant in ``tenants/``.

:func:`load_tenant_file` validates a file against the schema below and raises
:class:`TenantFileError` with the file, the line (when it can be found), the key and what was
expected. :func:`load_tenant_dir` validates every file before anything is applied, so one wrong
file changes nothing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import msgspec

from core.outcomes.instruments import registered_instruments
from core.plugin_api import (
    Instrument,
    MakkerPluginManager,
    create_plugin_manager,
    not_loaded_message,
)
from core.programmes.registry import (
    PluginConfigError,
    check_plugin_config,
    config_schemas,
    programme_types,
)
from core.reports.assumptions import SavingsAssumptions
from core.web import text as chars

Area = Literal["psykiatri", "handicap", "misbrug"]
MeetingFrequency = Literal["weekly", "fortnightly", "one_to_two_per_fortnight"]
Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
ProgrammeSlug = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]{1,59}$")]
Identifier = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,59}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
HttpsUrl = Annotated[str, msgspec.Meta(max_length=500)]
_HTTPS_URL = re.compile(r"^https://[^\s/]+\.[^\s/]{2,}(/\S*)?$")
Months = Annotated[int, msgspec.Meta(ge=1, le=36)]


class DurationMonths(msgspec.Struct, forbid_unknown_fields=True):
    min: Months
    max: Months


class ForloebPolicy(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How long a forløb runs and how often the pair meets."""

    duration_months: DurationMonths
    meeting_frequencies: Annotated[list[MeetingFrequency], msgspec.Meta(min_length=1)]


Days = Annotated[int, msgspec.Meta(ge=1, le=90)]


class OutcomeSchedule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[[programmes.outcomes]]``: one instrument, who answers it and when (see
    :mod:`core.outcomes.schedule` for how the occasions follow the forløb)."""

    instrument: Identifier
    respondents: Literal["mentee", "mentor", "both"]
    baseline: bool = True
    baseline_within_days: Days = 14
    every_months: Annotated[int, msgspec.Meta(ge=1, le=24)] | None = None
    at_end: bool = True
    follow_up_days: Annotated[int, msgspec.Meta(ge=1, le=730)] | None = None
    window_days: Days = 14


PublicText = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class PublicPage(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[programmes.public]``: the programme's public page ``/offentlig/<tenant>/tilbud/<slug>``
    with its application form (docs/applications.md). Without it the programme has no public
    page. Plain text: no markup, no health questions."""

    #: The lead paragraph: what the programme is, in a citizen's words.
    intro: PublicText
    #: What the programme offers, one short line each.
    offers: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=300)]],
        msgspec.Meta(min_length=1, max_length=12),
    ]
    #: Who can get a mentor; left out, the form has no "Få en mentor".
    mentee: PublicText | None = None
    #: Who can become a mentor; left out, the form has no "Bliv mentor".
    mentor: PublicText | None = None
    #: How to reach the programme other than through the form (one line, e.g. a phone number).
    contact: Annotated[str, msgspec.Meta(min_length=1, max_length=300)] | None = None


class ProgrammeConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    slug: ProgrammeSlug
    name: Name
    type: Identifier
    areas: Annotated[list[Area], msgspec.Meta(min_length=1)]
    policy: ForloebPolicy
    description: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    #: The savings estimate's starting assumptions (core/reports/savings.py, docs/reports.md).
    savings: SavingsAssumptions | None = None
    #: ``{plugin: {key: value}}``; overrides the tenant-level configuration of the plugin.
    plugins: dict[str, Any] = {}
    #: Outcome questionnaires: which instruments, for whom, when.
    outcomes: list[OutcomeSchedule] = []
    #: The public page and its application form; ``None``: no public page.
    public: PublicPage | None = None


class SmsGatewayConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[notifications.sms]``: the SMS gateway of the tenant (docs/notifications.md). The
    built-in ``http`` gateway posts JSON to ``url``; a plugin may provide another (the
    ``sms_gateway`` hook). The secret is never in the file: ``token_env`` names the environment
    variable that holds it."""

    gateway: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,39}$")] = "http"
    url: Annotated[str, msgspec.Meta(pattern=r"^https://[^\s]+$", max_length=500)]
    #: The sender shown on the phone: up to 11 letters and digits (the SMS standard's limit).
    sender: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9]{1,11}$")]
    token_env: Annotated[str, msgspec.Meta(pattern=r"^MAKKER_SMS_[A-Z0-9_]{1,40}$")] | None = None


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_CLOCK_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class NotificationsConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[notifications]``: what every message ends with, where the coordinators' weekly digest
    goes, and the SMS gateway."""

    #: How to reach the organisation, one line (every message ends with it).
    contact: Annotated[
        str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    ]
    #: The name messages sign with, when the organisation's own name says what it works with
    #: (a message must not reveal it); default: the tenant's name.
    name: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
        | None
    ) = None
    #: The coordinators' shared address for the weekly digest (no digest without it).
    digest_to: Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    #: When the day-before reminders go out, ``HH:MM`` Danish time (default 17:00).
    reminder_time: str | None = None
    #: When the weekly digest goes out: the weekday and ``HH:MM`` Danish time (Monday 07:00).
    digest_day: Weekday | None = None
    digest_time: str | None = None
    sms: SmsGatewayConfig | None = None


class RetentionConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[retention]`` (GDPR, ``makker retention run``, docs/gdpr.md): a key left out removes
    nothing of its kind.

    ``case_data_months``: anonymise a person whose last enrolment ended (finished, withdrawn,
    ineligible) more than this many months ago and who has no open enrolment, 6 to 240.
    ``audit_months``: remove audit rows older than this many months (whole sealed blocks
    only), 12 to 240."""

    case_data_months: Annotated[int, msgspec.Meta(ge=6, le=240)] | None = None
    audit_months: Annotated[int, msgspec.Meta(ge=12, le=240)] | None = None


class TenantConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    slug: Slug
    name: Name
    kind: Literal["municipality", "partner"]
    municipality_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$")] | None = None
    #: The organisation's published accessibility statement (webtilgængelighedsloven), e.g. on
    #: Digitaliseringsstyrelsen's was.digst.dk; linked from the statement page of every footer.
    accessibility_statement_url: HttpsUrl | None = None
    #: Enabled plugins with their tenant-level configuration: ``{plugin: {key: value}}``.
    plugins: dict[str, Any] = {}
    programmes: list[ProgrammeConfig] = []
    #: Messages: the contact line, the digest address and the SMS gateway.
    notifications: NotificationsConfig | None = None
    #: How long case data and audit rows are kept (none: nothing is removed).
    retention: RetentionConfig | None = None


class TenantFileError(Exception):
    """A tenant file is wrong. ``str(error)`` is one line: ``file:line: key: what was expected``."""

    def __init__(self, path: Path, message: str, key: str | None = None, line: int | None = None):
        self.path, self.key, self.line, self.message = path, key, line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


Segment = str | int
_MSGSPEC_PATH = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$")
_PATH_TOKEN = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]")
_FIELD_IN_MSG = re.compile(r"(missing required|contains unknown) field `([^`]+)`")


def _parse_path(path: str) -> list[Segment]:
    return [name if name else int(index) for name, index in _PATH_TOKEN.findall(path)]


def _format_key(segments: list[Segment]) -> str:
    out = ""
    for seg in segments:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else seg)
    return out


def _key_lines(text: str) -> list[tuple[list[Segment], int]]:
    """Map each table header and ``key = value`` line of a TOML text to its key path."""
    result: list[tuple[list[Segment], int]] = []
    table: list[Segment] = []
    array_counts: dict[tuple[str, ...], int] = {}

    def resolve(names: list[str]) -> list[Segment]:
        path: list[Segment] = []
        for i, name in enumerate(names):
            path.append(name)
            count = array_counts.get(tuple(names[: i + 1]))
            if count is not None and i < len(names) - 1:
                path.append(count - 1)
        return path

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[["):
            names = [p.strip().strip('"') for p in line.strip("[] ").split(".")]
            key = tuple(names)
            array_counts[key] = array_counts.get(key, 0) + 1
            # A new element of an array starts its nested arrays over: the first
            # [[programmes.outcomes]] of the second programme is programmes[1].outcomes[0].
            for nested in [k for k in array_counts if len(k) > len(key) and k[: len(key)] == key]:
                del array_counts[nested]
            table = [*resolve(names), array_counts[key] - 1]
            result.append((table, number))
        elif line.startswith("["):
            names = [p.strip().strip('"') for p in line.strip("[] ").split(".")]
            table = resolve(names)
            result.append((table, number))
        elif "=" in line and not line.startswith("#"):
            assigned = line.split("=", 1)[0].strip()
            dotted = [k.strip().strip('"') for k in assigned.split(".")]
            result.append(([*table, *dotted], number))
    return result


def _find_line(text: str, segments: list[Segment]) -> int | None:
    best: tuple[int, int] | None = None
    for path, number in _key_lines(text):
        if (
            len(path) <= len(segments)
            and segments[: len(path)] == path
            and (best is None or len(path) > best[0])
        ):
            best = (len(path), number)
    return best[1] if best else None


_CHOICES: dict[str, tuple[str, ...]] = {
    "areas": get_args(Area),
    "meeting_frequencies": get_args(MeetingFrequency),
    "kind": ("municipality", "partner"),
    "respondents": ("mentee", "mentor", "both"),
    "digest_day": get_args(Weekday),
}
_PATTERNS: dict[str, str] = {
    "slug": "expected lower-case letters, digits and '-', starting with a letter",
    "type": "expected lower-case letters, digits and '_', starting with a letter",
    "municipality_code": 'expected three digits, e.g. "621"',
}


def _humanise(message: str, segments: list[Segment]) -> str:
    names = [s for s in segments if isinstance(s, str)]
    last = names[-1] if names else ""
    enum = re.match(r"Invalid enum value (.*)", message)
    if enum and last in _CHOICES:
        return f"expected one of {', '.join(_CHOICES[last])}; got {enum[1]}"
    if "matching regex" in message and last in _PATTERNS:
        return _PATTERNS[last]
    # An optional key is left out, not set to null (TOML has no null).
    return re.sub(r"Expected `([^`|]+) \| null`", r"Expected `\1`", message)


def _validation_error(path: Path, text: str, error: msgspec.ValidationError) -> TenantFileError:
    match = _MSGSPEC_PATH.match(str(error))
    assert match is not None
    segments = _parse_path(match["path"] or "")
    message = _humanise(match["msg"], segments)
    field = _FIELD_IN_MSG.search(message)
    if field:
        if field[1] == "contains unknown":
            segments = [*segments, field[2]]
            message = "unknown key (check the spelling; see docs/tenants.md)"
        else:
            line = _find_line(text, segments)
            return TenantFileError(
                path, "required key is missing", _format_key([*segments, field[2]]), line
            )
    return TenantFileError(path, message, _format_key(segments) or None, _find_line(text, segments))


def _default_plugin_manager() -> MakkerPluginManager:
    """Built-in plugins only; commands pass the manager built from MAKKER_PLUGINS instead."""
    global _BUILTIN_PM
    if _BUILTIN_PM is None:
        _BUILTIN_PM = create_plugin_manager()
    return _BUILTIN_PM


_BUILTIN_PM: MakkerPluginManager | None = None


def _check_plugins(
    path: Path,
    text: str,
    plugins: dict[str, Any],
    prefix: list[Segment],
    schemas: dict[str, Any],
) -> None:
    for name, config in plugins.items():
        segments = [*prefix, "plugins", name]
        if not re.match(r"^[a-z][a-z0-9_]{1,59}$", name):
            raise TenantFileError(
                path,
                "plugin names are lower-case letters, digits and _",
                _format_key(segments),
                _find_line(text, segments),
            )
        if not isinstance(config, dict):
            raise TenantFileError(
                path,
                f"expected a table of plugin settings, e.g. [plugins.{name}]",
                _format_key(segments),
                _find_line(text, segments),
            )
        if name not in schemas:
            raise TenantFileError(
                path,
                f"{not_loaded_message(name)} (loaded plugins: {', '.join(sorted(schemas))}; "
                "see docs/plugins.md)",
                _format_key(segments),
                _find_line(text, segments),
            )
        try:
            check_plugin_config(schemas[name], config)
        except PluginConfigError as exc:
            where = [*segments, *exc.path]
            raise TenantFileError(
                path, exc.message, _format_key(where), _find_line(text, where)
            ) from None


#: Words that say what a programme works with (Danish and English stems): none may be in what
#: every message carries - the contact line, the signature, the SMS sender.
REVEALING_WORDS = (
    "misbrug",
    "psykiatri",
    "handicap",
    "diagnose",
    "angst",
    "depression",
    "addict",
    "substance",
    "psychiatr",
    "disab",
    "mental",
    "diagnos",
    "anxiety",
)


def _check_revealing(config: TenantConfig, fail: Callable[..., TenantFileError]) -> None:
    """The contact line, ``name`` and SMS sender go into every message, on a phone's lock
    screen: none may name one of the tenant's programmes (name or slug) or a health area."""
    notifications = config.notifications
    if notifications is None:
        return
    sms = notifications.sms
    checked: list[tuple[tuple[str, ...], str | None]] = [
        (("contact",), notifications.contact),
        (("name",), notifications.name),
        (("sms", "sender"), sms.sender if sms is not None else None),
    ]
    for key, value in checked:
        if not value:
            continue
        lowered = value.lower()
        squeezed = re.sub(r"[^a-z0-9æøå]", "", lowered)
        found = [w for w in REVEALING_WORDS if w in lowered or w in squeezed]
        for programme in config.programmes:
            for said in (programme.name, programme.slug):
                if said.lower() in lowered or re.sub(r"[^a-z0-9æøå]", "", said.lower()) in (
                    squeezed
                ):
                    found.append(said)
        if found:
            raise fail(
                f"must not say what a programme works with (it is in every message, also on a "
                f"phone's lock screen); found {found[0]!r}",
                "notifications",
                *key,
            )


def parse_tenant_text(
    path: Path, text: str, plugin_manager: MakkerPluginManager | None = None
) -> TenantConfig:
    """Validate the TOML ``text`` of the tenant file at ``path``.

    Plugin names, plugin settings and programme types are checked against ``plugin_manager``
    (default: the built-in plugins only).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        raise TenantFileError(
            path, f"not valid TOML: {exc}", line=int(line[1]) if line else None
        ) from None
    try:
        config = msgspec.convert(data, type=TenantConfig)
    except msgspec.ValidationError as exc:
        raise _validation_error(path, text, exc) from None

    def fail(message: str, *segments: Segment) -> TenantFileError:
        return TenantFileError(
            path, message, _format_key(list(segments)), _find_line(text, list(segments))
        )

    if path.stem != config.slug:
        raise fail(f"must equal the file name {path.stem!r}, got {config.slug!r}", "slug")
    if config.kind == "municipality" and config.municipality_code is None:
        raise TenantFileError(
            path,
            'required for kind = "municipality" (three digits, e.g. "621")',
            "municipality_code",
            _find_line(text, ["kind"]),
        )
    if config.kind == "partner" and config.municipality_code is not None:
        raise fail("only municipalities have a municipality code", "municipality_code")
    url = config.accessibility_statement_url
    if url is not None and not _HTTPS_URL.match(url):
        raise fail(
            "expected an https:// address of the published statement, "
            "e.g. https://www.was.digst.dk/makker-kolding",
            "accessibility_statement_url",
        )
    for key in ("reminder_time", "digest_time"):
        value = getattr(config.notifications, key, None)
        if value is not None and not _CLOCK_TIME.match(value):
            raise fail(
                f'expected a time of day as HH:MM (Danish time), e.g. "17:00"; got {value!r}',
                "notifications",
                key,
            )
    _check_revealing(config, fail)
    pm = plugin_manager or _default_plugin_manager()
    schemas = config_schemas(pm)
    types = programme_types(pm)
    _check_plugins(path, text, config.plugins, [], schemas)
    seen: set[str] = set()
    for i, programme in enumerate(config.programmes):
        if programme.slug in seen:
            raise fail(f"duplicate programme slug {programme.slug!r}", "programmes", i, "slug")
        seen.add(programme.slug)
        if len(set(programme.areas)) != len(programme.areas):
            raise fail("each area may be listed once", "programmes", i, "areas")
        months = programme.policy.duration_months
        if months.min > months.max:
            raise fail(
                f"min ({months.min}) must not exceed max ({months.max})",
                "programmes",
                i,
                "policy",
                "duration_months",
            )
        frequencies = programme.policy.meeting_frequencies
        if len(set(frequencies)) != len(frequencies):
            raise fail(
                "each frequency may be listed once",
                "programmes",
                i,
                "policy",
                "meeting_frequencies",
            )
        if programme.type not in types:
            raise fail(
                f"expected a registered programme type ({', '.join(sorted(types))}); "
                f"got {programme.type!r}",
                "programmes",
                i,
                "type",
            )
        _check_plugins(path, text, programme.plugins, ["programmes", i], schemas)
        if programme.public is not None:
            _check_public(programme.public, i, fail)
        if programme.outcomes:
            _check_outcomes(programme, i, fail, registered_instruments(pm))
    return config


def _check_public(public: PublicPage, i: int, fail: Any) -> None:
    """A public page takes applications for at least one role, and its texts are plain text
    (one line each; the intro and the role texts may have several lines)."""
    where = ("programmes", i, "public")
    if public.mentee is None and public.mentor is None:
        raise fail("expected mentee or mentor (or both): who can apply on the public page", *where)
    texts: list[tuple[tuple[Segment, ...], str, bool]] = [(("intro",), public.intro, True)]
    texts += [(("offers", j), line, False) for j, line in enumerate(public.offers)]
    for key in ("mentee", "mentor"):
        value = getattr(public, key)
        if value is not None:
            texts.append(((key,), value, True))
    if public.contact is not None:
        texts.append((("contact",), public.contact, False))
    for key_path, value, multiline in texts:
        if chars.is_blank(value) or chars.has_forbidden(chars.line_feeds(value), multiline):
            raise fail(
                "expected plain text"
                + ("" if multiline else " on one line")
                + " (no control characters, not blank)",
                *where,
                *key_path,
            )


#: Who answers, as the messages say it.
_RESPONDENTS = {"mentee": "the citizen", "mentor": "the mentor"}


def _check_outcomes(
    programme: ProgrammeConfig, i: int, fail: Any, instruments: dict[str, Instrument]
) -> None:
    """Each schedule names a registered instrument, for respondents it allows, asks it at some
    occasion, and an instrument is scheduled once per role of a programme."""
    taken: set[tuple[str, str]] = set()
    for j, schedule in enumerate(programme.outcomes):
        where = ("programmes", i, "outcomes", j)
        instrument = instruments.get(schedule.instrument)
        if instrument is None:
            raise fail(
                f"expected a registered instrument ({', '.join(sorted(instruments)) or 'none'}; "
                f"see docs/outcomes.md); got {schedule.instrument!r}",
                *where,
                "instrument",
            )
        allowed = instrument.respondents
        if allowed != "both" and schedule.respondents != allowed:
            raise fail(
                f'expected "{allowed}": {instrument.id!r} is answered by '
                f"{_RESPONDENTS[allowed]} only; got {schedule.respondents!r}",
                *where,
                "respondents",
            )
        if not (
            schedule.baseline or schedule.every_months or schedule.at_end or schedule.follow_up_days
        ):
            raise fail(
                "expected at least one occasion: baseline, every_months, at_end or follow_up_days",
                *where,
            )
        roles = ("mentee", "mentor") if schedule.respondents == "both" else (schedule.respondents,)
        for role in roles:
            if (schedule.instrument, role) in taken:
                raise fail(
                    f"expected each instrument once per role: {schedule.instrument!r} is "
                    f"already scheduled for the {role} in this programme",
                    *where,
                    "instrument",
                )
            taken.add((schedule.instrument, role))


def load_tenant_file(path: Path, plugin_manager: MakkerPluginManager | None = None) -> TenantConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TenantFileError(path, "not UTF-8 text") from None
    return parse_tenant_text(path, text, plugin_manager)


def load_tenant_dir(
    directory: Path, plugin_manager: MakkerPluginManager | None = None
) -> list[TenantConfig]:
    """Validate every ``*.toml`` in ``directory``; raise on the first wrong file."""
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise TenantFileError(directory, "no tenant files (*.toml) found")
    return [load_tenant_file(f, plugin_manager) for f in files]
