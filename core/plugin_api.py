"""The Makker plugin API: markers, hook specifications and the plugin manager.

A plugin is a module (or object) with functions marked ``@hookimpl`` and named after the hooks
below. Everything a plugin author needs is importable from here; the docstring of each hook is
its documentation (see ``docs/plugins.md``).

How hooks are called:

* **Implementations may take fewer arguments** than the hook offers; name only those you use.
  Hooks gain arguments over time, never lose them, so a plugin keeps working.
* **Programme hooks** (those with a ``programme`` argument) are called only for plugins that the
  programme enables, in ``tenants/<tenant>.toml`` at tenant or programme level. A plugin that is
  not enabled for a tenant is never called for it.
  The exception is :func:`default_matching_strategy`, asked of every loaded plugin.
* **Registration hooks** (no ``programme`` argument) are called for every loaded plugin.
* **Answer hooks** (``firstresult``) want one answer: the first plugin that returns something
  other than ``None`` gives it. Built-ins answer ``trylast``, so a third-party plugin that
  answers replaces them.
* A hook may return one item, a list of items or ``None``. The core checks each result: an
  exception or a value of the wrong type raises :class:`PluginError` naming the plugin - a broken
  rule never passes silently. Where a person or a forløb is judged (``eligibility_verdicts``,
  ``forloeb_policy``, ``forloeb_event``, ``intake_fields``), the core isolates the broken plugin
  instead: its verdict becomes ``unknown`` saying that the rule failed, and the other plugins
  are asked as usual. A failing answer to ``default_matching_strategy`` or
  ``course_completion_threshold`` is skipped (the next plugin answers), and a strategy whose
  scorer fails gives no suggestions, with a Danish notice (see docs/plugins.md).
* **What is public**: the names in ``__all__``, all documented in docs/plugins.md. The
  core's own machinery also lives in this module - the plugin manager
  (:class:`MakkerPluginManager`, :func:`create_plugin_manager`), ``hookspec`` and
  :data:`DEFAULT_PLUGINS` - but is not exported and not covered by the promise below.
* **Compatibility**: :data:`PLUGIN_API_VERSION` is this API's version. A plugin declares the
  versions it supports in a module attribute ``MAKKER_PLUGIN_API`` (e.g. ``">=1.0,<2"``); a
  plugin whose declaration excludes this version stops start-up with one line.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import inspect
import logging
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import pluggy

from core.matching.types import (
    MatchProfile,
    PairScore,
    Reason,
    ScoreMatrix,
    Scorer,
)
from core.notifications.sms import SmsGateway
from core.notifications.transports import DeliveryRefused, Handover, Outgoing
from core.plugin_types import (
    ROLES,
    TEXT_LANGUAGES,
    TRANSITION_KINDS,
    CourseRecord,
    DurationMonths,
    EnrolmentContext,
    FieldType,
    ForloebContext,
    Instrument,
    InstrumentError,
    InstrumentItem,
    IntakeField,
    IntakeValidationError,
    MatchingStrategy,
    Outcome,
    PersonContext,
    PolicyAction,
    PolicyDecision,
    ProgrammeContext,
    ProgrammeType,
    Respondents,
    ResponseOption,
    Role,
    RoleHeld,
    TenantContext,
    Text,
    Transition,
    TransitionKind,
    Verdict,
    catalog_texts,
    combine_outcomes,
    localize,
    text_fault,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "PLUGIN_API_VERSION",
    "ROLES",
    "TEXT_LANGUAGES",
    "TRANSITION_KINDS",
    "CourseRecord",
    "DeliveryRefused",
    "DurationMonths",
    "EnrolmentContext",
    "FieldType",
    "ForloebContext",
    "Handover",
    "Instrument",
    "InstrumentError",
    "InstrumentItem",
    "IntakeField",
    "IntakeValidationError",
    "MatchProfile",
    "MatchingStrategy",
    "Outcome",
    "Outgoing",
    "PairScore",
    "PersonContext",
    "PluginError",
    "PolicyAction",
    "PolicyDecision",
    "ProgrammeContext",
    "ProgrammeType",
    "Reason",
    "Respondents",
    "ResponseOption",
    "Role",
    "RoleHeld",
    "ScoreMatrix",
    "Scorer",
    "SmsGateway",
    "TenantContext",
    "Text",
    "Transition",
    "TransitionKind",
    "Verdict",
    "catalog_texts",
    "combine_outcomes",
    "hookimpl",
    "localize",
]

PROJECT = "makker"
ENTRY_POINT_GROUP = "makker"
#: The version of this plugin API. A minor version only adds (hooks, hook arguments, fields of
#: the contexts, types); a major version may remove or change, and anything it removes is
#: deprecated - still working, with a warning - for at least one minor version before.
PLUGIN_API_VERSION = "1.1"
#: The module attribute in which a plugin declares the API versions it supports.
API_DECLARATION = "MAKKER_PLUGIN_API"
logger = logging.getLogger("makker.plugins")
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: Built-in plugins, registered exactly like third-party ones (under their last name part).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "plugins.peer_mentor",
    "plugins.lived_experience",
    "plugins.mentor_course",
    "plugins.misbrug",
    "plugins.vejle_85",
    "plugins.shared_experience",
    "plugins.shared_areas",
    "plugins.who5",
    "plugins.swls",
    "plugins.mastery",
    "plugins.qpr15",
    "plugins.makker4",
)


# -- registration hooks ---------------------------------------------------------------------
@hookspec
def register_programme_types() -> ProgrammeType | list[ProgrammeType] | None:  # type: ignore[empty-body]
    """Programme types this plugin provides, with their forløb defaults.

    A tenant file names a type in ``type = "..."``; ``makker tenants check`` refuses a type that
    no plugin registers. Built-in: ``peer_mentor`` (6-9 months, weekly or fortnightly).

    :return: A :class:`ProgrammeType`, a list of them, or ``None``.

    Results of all plugins are collected. Two plugins registering the same name is an error.
    """


@hookspec
def register_matching_strategies() -> MatchingStrategy | list[MatchingStrategy] | None:  # type: ignore[empty-body]
    """Matching strategies this plugin provides: each a :class:`MatchingStrategy` with a
    :class:`Scorer` (``matrix`` for all pairs at once, ``explain`` for one pair), or without a
    scorer (coordinators pair by hand). See docs/plugins.md for how they are chosen.

    :return: A :class:`MatchingStrategy`, a list of them, or ``None``.

    Results of all plugins are collected. Two plugins registering the same name is an error.
    """


@hookspec
def plugin_config_schema() -> type[msgspec.Struct] | None:  # type: ignore[empty-body]
    """The configuration this plugin accepts in ``[plugins.<name>]`` tables of tenant files.

    Return a ``msgspec.Struct`` class whose fields all have defaults: the defaults apply when
    neither the tenant nor the programme sets a value. The core validates tenant files against it
    (``makker tenants check`` names file, line and key) and hands your hooks the resolved
    instance through :meth:`ProgrammeContext.config`. A plugin without this hook accepts no
    settings.

    :return: A Struct class, or ``None``.

    Each plugin's result is kept apart (it belongs to that plugin).
    """


@hookspec
def register_instruments() -> Instrument | list[Instrument] | None:  # type: ignore[empty-body]
    """Outcome instruments (questionnaires) this plugin provides.

    An :class:`Instrument` declares its items (Danish text, and the original English beside a
    translation), one answer scale (:class:`ResponseOption`, an ordinal scale shared by all
    items), which items are ``reversed``, how it is scored (``"sum"`` of the items times
    ``multiplier``, or ``"items"``: each item reported alone), the score range and direction,
    the change that counts as meaningful, who answers it (``respondents``: ``"mentee"``,
    ``"mentor"`` or ``"both"``), and its ``source``, ``terms_of_use`` and ``translation_note``,
    which are shown with it. The declaration is checked when it is made: a score range that does
    not follow from items x options x multiplier, a duplicate item key or a scale with gaps
    raises :class:`InstrumentError` naming the instrument and the item. Build the instrument
    inside this hook, so such an error is reported naming your plugin.

    Scoring is the core's (``core.outcomes.scoring.score``): reversed items count
    ``(lowest + highest option) - answer``, a missing answer leaves the total empty (nothing is
    imputed), and an answer outside the scale is refused naming the item. Tenant files choose
    which instruments a programme uses. Built-in: ``who5``, ``swls``, ``mastery``, ``qpr15`` and
    ``makker4``, one plugin each.

    :return: An :class:`Instrument`, a list of them, or ``None``.

    Results of all plugins are collected. Two plugins registering the same id is an error.
    """


# -- answers: one plugin answers (firstresult) -----------------------------------------------
@hookspec(firstresult=True)
def default_matching_strategy(programme: ProgrammeContext) -> str | None:  # type: ignore[empty-body]
    """The matching strategy ``programme`` uses when it enables no plugin that registers one.

    Unlike the programme hooks below, this hook is asked of **every loaded plugin**, whether the
    programme enables it or not: the default is what applies when the tenant file names no
    strategy. Return ``None`` to leave the choice to others (for example for another tenant's
    programmes). Built-in: ``shared_experience`` answers ``"shared_experience"`` (``trylast``),
    so any other plugin that answers replaces it.

    :param programme: The programme, with the resolved settings of the plugins it enables.
    :return: The name of a strategy with a scorer, registered through
        :func:`register_matching_strategies` by any loaded plugin, or ``None``.

    Stops at the first non-``None`` result (``trylast`` implementations are asked last). A name
    that no plugin registers is an error.
    """


@hookspec(firstresult=True)
def course_completion_threshold(programme: ProgrammeContext) -> int | None:  # type: ignore[empty-body]
    """How many sessions of one of ``programme``'s mentor-course holds a mentor must attend to
    have completed the course: the course page marks participants as completed by this number.

    Asked of the plugins the programme enables, like the programme hooks below. Built-in:
    ``mentor_course`` answers its ``min_sessions_attended`` setting (``trylast``), so another
    enabled plugin that answers replaces it.

    :param programme: The programme, with your resolved configuration.
    :return: A whole number of sessions, at least 1, or ``None`` (no opinion).

    Stops at the first non-``None`` result. With no answer the programme has no completion rule
    and nobody is marked as completed.
    """


@hookspec(firstresult=True)
def sms_gateway(tenant: str, config: dict[str, Any]) -> SmsGateway | None:  # type: ignore[empty-body]
    """The SMS gateway for a tenant whose file has ``[notifications.sms]``: a notification
    channel for text messages.

    Asked of **every loaded plugin**. Return an object with a ``name`` (``str``, shown to
    coordinators with a failed message) and ``async def send(message, handover)``
    (:class:`SmsGateway`): call ``await handover()`` just before the request that sends
    ``message`` (an :class:`Outgoing`: ``to``, ``body``, ``idempotency_key``), and raise
    :class:`DeliveryRefused` when the gateway did not take it (``permanent=True`` if trying again
    cannot help) - naming the kind of failure only, never the number or the text. Return
    ``None`` for a ``gateway`` that is not yours. Built in: the generic HTTP gateway
    (``gateway = "http"``), used when no plugin answers. In development every SMS goes to the
    development mailbox instead.

    :param tenant: The tenant's slug.
    :param config: The tenant's ``[notifications.sms]`` table (``gateway``, ``url``,
        ``sender``, ``token_env``: the name of the environment variable with the secret).
    :return: A gateway, or ``None``.

    Stops at the first non-``None`` result.
    """


# -- programme hooks (called only for plugins the programme enables) -------------------------
@hookspec
def intake_fields(programme: ProgrammeContext) -> IntakeField | list[IntakeField] | None:  # type: ignore[empty-body]
    """Extra intake questions this plugin asks in ``programme``.

    The core validates answers by the field's ``type`` (a ``not_in_future`` date after today is
    refused at input) and stores them in the person's attributes as ``"<plugin>.<name>"``.
    Your rules read them back typed, from :attr:`PersonContext.attributes`.

    :param programme: The programme, with your resolved configuration.
    :return: An :class:`IntakeField`, a list of them, or ``None``.

    Results of all enabled plugins are collected, in plugin order.
    """


@hookspec
def eligibility_verdicts(  # type: ignore[empty-body]
    programme: ProgrammeContext, person: PersonContext, role: Role, today: dt.date
) -> Verdict | list[Verdict] | None:
    """Judge whether ``person`` may take part in ``programme`` as ``role``.

    Return a :class:`Verdict` (``pass``, ``fail`` or ``unknown``) with your rule's name and a
    Danish explanation a coordinator can read, or ``None`` when your rule does not apply (for
    example to the other role).

    :param programme: The programme, with your resolved configuration.
    :param person: The person's id and typed intake answers.
    :param role: ``"mentor"`` or ``"mentee"``.
    :param today: The date to judge on (use it instead of the clock).
    :return: A :class:`Verdict`, a list of them, or ``None``.

    Collecting: the verdicts of all enabled plugins are gathered, and the person is eligible only
    when every verdict passes (any ``fail`` fails; otherwise any ``unknown`` is unknown).
    """


@hookspec
def forloeb_policy(  # type: ignore[empty-body]
    programme: ProgrammeContext, transition: Transition
) -> PolicyDecision | list[PolicyDecision] | None:
    """Allow, warn about or veto a forløb transition before it happens.

    :param programme: The programme, with your resolved configuration.
    :param transition: Who moves from which status to which, on which date.
    :return: A :class:`PolicyDecision`, a list of them, or ``None`` (no opinion).

    Collecting: one ``veto`` from any enabled plugin stops the transition; warnings are shown.
    """


@hookspec
def forloeb_event(programme: ProgrammeContext, transition: Transition) -> None:
    """React after a forløb transition has happened (notify, count, schedule a follow-up).

    :param programme: The programme, with your resolved configuration.
    :param transition: The transition that happened.
    :return: ``None``; a return value is an error.

    Every enabled plugin is called; an exception is reported naming the plugin.
    """


# -- result checking ------------------------------------------------------------------------
class PluginError(Exception):
    """A plugin is broken or misconfigured. The message names the plugin.

    ``summary`` names the plugin, the hook and the exception type only: safe for logs and API
    answers, where the full message (which may quote data) is not.
    """

    def __init__(
        self,
        message: str,
        summary: str | None = None,
        *,
        plugin: str | None = None,
        hook: str | None = None,
    ) -> None:
        super().__init__(message)
        self.summary = summary or message
        #: The plugin and the hook (or scorer method) that failed, where the core knows them.
        self.plugin, self.hook = plugin, hook


def _wrong(plugin: str, hook: str, detail: str) -> PluginError:
    """A wrong result of ``hook``: the message quotes what the plugin returned (for its
    author, in the harness); the summary - logged, and the detail of a 500 - does not."""
    return PluginError(
        f"plugin {plugin!r}: hook {hook} {detail}",
        f"plugin {plugin!r}: hook {hook} returned a wrong result",
        plugin=plugin,
        hook=hook,
    )


def _items(expected: type) -> Callable[[str, str, Any], Any]:
    def check(plugin: str, hook: str, result: Any) -> Any:
        if result is None:
            return []
        items = list(result) if isinstance(result, list | tuple) else [result]
        for item in items:
            if not isinstance(item, expected):
                raise _wrong(
                    plugin,
                    hook,
                    f"returned {type(item).__name__}; expected {expected.__name__}, a list of "
                    f"{expected.__name__}, or None",
                )
            fault = _struct_fault(item)
            if fault:
                raise _wrong(plugin, hook, f"returned a {type(item).__name__} with {fault}")
        if "plugin" in getattr(expected, "__struct_fields__", ()):
            items = [msgspec.structs.replace(i, plugin=plugin) for i in items]
        return items

    return check


_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
_FIELD_TYPES = ("date", "boolean", "integer", "text", "choice", "choices")


def _struct_fault(item: Any) -> str | None:
    """What is wrong with a returned Struct (msgspec checks types only when it decodes, not
    when a plugin constructs one), or ``None``."""
    for name in ("rule", "name"):
        value = getattr(item, name, None)
        if name in getattr(item, "__struct_fields__", ()) and not (
            isinstance(value, str) and _IDENTIFIER.match(value)
        ):
            return (
                f"the {name} {value!r}; names are lower-case letters, digits and _ "
                "(2-60 characters, starting with a letter)"
            )
    texts: list[tuple[str, Any]] = []
    if isinstance(item, Verdict):
        if item.outcome not in tuple(Outcome):
            return f"the outcome {item.outcome!r}; expected one of pass, fail, unknown"
        texts.append(("explanation", item.explanation))
    elif isinstance(item, PolicyDecision):
        if item.action not in tuple(PolicyAction):
            return f"the action {item.action!r}; expected one of allow, warn, veto"
        if item.action != PolicyAction.ALLOW or item.message:
            texts.append(("message", item.message))
    elif isinstance(item, IntakeField):
        if item.type not in _FIELD_TYPES:
            return f"the type {item.type!r}; expected one of {', '.join(_FIELD_TYPES)}"
        texts.append(("label", item.label))
        if item.help:
            texts.append(("help", item.help))
    elif isinstance(item, MatchingStrategy | ProgrammeType):
        texts.append(("description", item.description))
    for name, text in texts:
        fault = text_fault(text)
        if fault:
            return f"a wrong {name}: {fault}"
    return None


def _schema(plugin: str, hook: str, result: Any) -> Any:
    if result is None:
        return None
    if not (inspect.isclass(result) and issubclass(result, msgspec.Struct)):
        raise _wrong(plugin, hook, f"returned {result!r}; expected a msgspec.Struct class")
    try:
        msgspec.convert({}, type=result)
    except msgspec.ValidationError as exc:
        raise PluginError(
            f"plugin {plugin!r}: every field of {result.__name__} needs a default ({exc})"
        ) from None
    return result


def _one(
    expected: type, valid: Callable[[Any], bool] = lambda _value: True, wanted: str = ""
) -> Callable[[str, str, Any], Any]:
    """The check of a ``firstresult`` hook: one value or ``None`` (never a list, which would
    stop the hook at the first plugin)."""

    def check(plugin: str, hook: str, result: Any) -> Any:
        if result is None:
            return None
        if isinstance(result, bool) is not (expected is bool) or not isinstance(result, expected):
            raise _wrong(
                plugin,
                hook,
                f"returned {type(result).__name__}; expected {expected.__name__} or None",
            )
        if not valid(result):
            raise _wrong(plugin, hook, f"returned {result!r}; {wanted}")
        return result

    return check


def _gateway(plugin: str, hook: str, result: Any) -> Any:
    """An SMS gateway: a ``name`` and an ``async def send(message, handover)``."""
    if result is None:
        return None
    if not isinstance(getattr(result, "name", None), str) or not inspect.iscoroutinefunction(
        getattr(result, "send", None)
    ):
        raise _wrong(
            plugin,
            hook,
            f"returned {type(result).__name__}; expected an SMS gateway (a str name and async "
            "def send(message, handover)) or None",
        )
    return result


def _nothing(plugin: str, hook: str, result: Any) -> Any:
    if result is not None:
        raise _wrong(plugin, hook, f"returned {type(result).__name__}; expected None")
    return None


#: How each hook's results are checked and normalised (lists; Structs stamped with the plugin).
RESULT_CHECKS: dict[str, Callable[[str, str, Any], Any]] = {
    "register_programme_types": _items(ProgrammeType),
    "register_matching_strategies": _items(MatchingStrategy),
    "register_instruments": _items(Instrument),
    "plugin_config_schema": _schema,
    "default_matching_strategy": _one(str, bool, "expected a strategy's name"),
    "course_completion_threshold": _one(int, lambda n: n >= 1, "expected at least 1"),
    "sms_gateway": _gateway,
    "intake_fields": _items(IntakeField),
    "eligibility_verdicts": _items(Verdict),
    "forloeb_policy": _items(PolicyDecision),
    "forloeb_event": _nothing,
}


_SPEC_CLAUSE = re.compile(r"^(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)?)$")


def _version_tuple(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major), int(minor or 0)


def supports_api(declared: str, version: str = PLUGIN_API_VERSION) -> bool:
    """Whether a plugin's declaration (comma-separated clauses such as ``">=1.0,<2"``; each
    an operator ``>=``, ``>``, ``<=``, ``<``, ``==`` or ``!=`` and a version ``X`` or
    ``X.Y``) admits ``version``.

    :raises ValueError: for a declaration that is not written so.
    """
    have = _version_tuple(version)
    clauses = [c.strip() for c in declared.split(",")]
    if not declared.strip() or not all(_SPEC_CLAUSE.match(c) for c in clauses):
        raise ValueError(f"{declared!r} is not a version declaration such as '>=1.0,<2'")
    for clause in clauses:
        match = _SPEC_CLAUSE.match(clause)
        assert match is not None
        op, want = match[1], _version_tuple(match[2])
        ok = {
            ">=": have >= want,
            ">": have > want,
            "<=": have <= want,
            "<": have < want,
            "==": have == want,
            "!=": have != want,
        }[op]
        if not ok:
            return False
    return True


def check_api_declaration(plugin: object, name: str, *, required: bool = False) -> None:
    """Refuse a plugin whose ``MAKKER_PLUGIN_API`` excludes :data:`PLUGIN_API_VERSION`.

    :param required: a missing declaration is an error too (third-party plugins).
    :raises PluginError: one line naming the plugin, what it supports and what Makker provides.
    """
    declared = getattr(plugin, API_DECLARATION, None)
    if declared is None:
        if required:
            raise PluginError(
                f"plugin {name!r} declares no {API_DECLARATION} (the Makker plugin API versions "
                f'it supports, e.g. {API_DECLARATION} = ">=1.0,<2"; see docs/plugins.md)'
            )
        return
    try:
        compatible = isinstance(declared, str) and supports_api(declared)
    except ValueError as exc:
        raise PluginError(f"plugin {name!r}: {API_DECLARATION} {exc}") from None
    if not compatible:
        raise PluginError(
            f"plugin {name!r} supports Makker plugin API {declared!s} but this Makker provides "
            f"{PLUGIN_API_VERSION}: install a version of the plugin made for it"
        )


def call_plugin(
    function: Callable[..., Any],
    plugin: str,
    hook: str,
    *args: Any,
    check: Callable[[str, str, Any], Any] | None = None,
) -> Any:
    """Call ``function`` of ``plugin`` (a hook implementation, or a method the plugin handed
    over, such as a strategy's scorer) and check its result with ``check``.

    :raises PluginError: if it raises (the message quotes the exception, for the plugin's
        author; the :attr:`PluginError.summary` names plugin, hook and exception type only) or
        ``check`` refuses the result.
    """
    try:
        result = function(*args)
    except PluginError:
        raise
    except Exception as exc:
        failed = f"plugin {plugin!r} failed in hook {hook}"
        raise PluginError(
            f"{failed}: {type(exc).__name__}: {exc}",
            f"{failed} ({type(exc).__name__})",
            plugin=plugin,
            hook=hook,
        ) from exc
    if check is None:
        return result
    try:
        return check(plugin, hook, result)
    except PluginError as exc:
        exc.plugin, exc.hook = exc.plugin or plugin, exc.hook or hook
        raise


def log_failure(
    plugin: str, hook: str, error: PluginError, logged: set[tuple[str, str]] | None = None
) -> None:
    """Log a plugin's failure as one line naming the plugin, the hook and the exception's type
    (or "a wrong result") - never the exception's message or traceback, which may quote the
    data the plugin was given. With ``logged`` (shared by a batch of calls) a plugin's failure
    in a hook is logged once per batch."""
    if logged is not None:
        if (plugin, hook) in logged:
            return
        logged.add((plugin, hook))
    cause = error.__cause__
    what = type(cause).__name__ if cause is not None else "a wrong result"
    logger.error("plugin %r failed in hook %s (%s)", plugin, hook, what)


def _guarded(function: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    check = RESULT_CHECKS[hook]

    @functools.wraps(function)
    def call(*args: Any) -> Any:
        return call_plugin(function, plugin, hook, *args, check=check)

    return call


# -- the manager ----------------------------------------------------------------------------
class MakkerPluginManager(pluggy.PluginManager):
    """A pluggy manager whose hook implementations are guarded: an exception or a wrong result
    becomes a :class:`PluginError` naming the plugin, and results are normalised to lists."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(sys.modules[__name__])

    def register(self, plugin: object, name: str | None = None) -> str | None:
        check_api_declaration(plugin, name or str(getattr(plugin, "__name__", plugin)))
        try:
            registered = super().register(plugin, name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(
                f"plugin {name or getattr(plugin, '__name__', plugin)!r}: {exc}"
            ) from None
        if registered is None:
            return None
        for caller in self.get_hookcallers(plugin) or []:
            if caller.name not in RESULT_CHECKS:
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
                    # pluggy marks the attribute Final but calls whatever it holds; wrapping
                    # it keeps pluggy's ordering, firstresult and wrapper semantics intact.
                    impl.function = _guarded(  # type: ignore[misc]
                        impl.function, registered, caller.name
                    )
        return registered

    def check_pending(self) -> None:
        """Refuse hook implementations that match no hook (usually a misspelled name)."""
        try:
            super().check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {self.get_name(exc.plugin)!r}: {exc}") from None

    def plugin_version(self, name: str) -> str:
        """The installed version of a third-party plugin; built-ins share Makker's version."""
        plugin = self.get_plugin(name)
        for candidate, dist in self.list_plugin_distinfo():
            if candidate is plugin:
                return str(dist.version)
        import core

        return core.__version__

    def implemented_hooks(self, name: str) -> list[str]:
        """Names of the hooks the plugin ``name`` implements."""
        callers = self.get_hookcallers(self.get_plugin(name)) or []
        return sorted(c.name for c in callers)

    def call_isolated(
        self, caller: Any, *, logged: set[tuple[str, str]] | None = None, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call each implementation of ``caller`` (a hook, or a subset of one) on its own, in
        pluggy's order, so that one broken plugin cannot stop the others.

        :param logged: shared by a batch of calls (a waiting list's candidates), so that a
            plugin that fails for each of them is logged once (:func:`log_failure`).
        :return: ``(plugin name, checked result)`` pairs; for a plugin that raised or returned
            a wrong value, ``(plugin name, PluginError)``. Such a failure is logged as one line
            naming the plugin and the hook - never the exception's message or traceback, which
            may quote the data the plugin was given.
        """
        results: list[tuple[str, Any]] = []
        for impl in reversed(caller.get_hookimpls()):
            if impl.wrapper or impl.hookwrapper:
                continue
            try:
                # pluggy's own call of one implementation: hook tracing and monitoring see it.
                answered: Any = self._hookexec(caller.name, [impl], kwargs, False)
                result = answered[0] if answered else None
            except PluginError as exc:
                log_failure(impl.plugin_name, caller.name, exc, logged)
                results.append((impl.plugin_name, exc))
                continue
            results.append((impl.plugin_name, result))
        return results

    def answer_isolated(self, caller: Any, **kwargs: Any) -> tuple[Any, dict[str, PluginError]]:
        """The answer of a ``firstresult`` hook (``caller``: the hook or a subset of it), with
        each implementation asked on its own: a plugin that raises or answers wrongly is
        logged (:func:`log_failure`) and skipped, and the next one answers - in the end the
        built-in default, which answers ``trylast``.

        :return: the first answer other than ``None`` (or ``None``), and the failed plugins.
        """
        failures: dict[str, PluginError] = {}
        for impl in reversed(caller.get_hookimpls()):
            if impl.wrapper or impl.hookwrapper:
                continue
            try:
                answered: Any = self._hookexec(caller.name, [impl], kwargs, False)
            except PluginError as exc:
                log_failure(impl.plugin_name, caller.name, exc)
                failures[impl.plugin_name] = exc
                continue
            if answered:
                return answered[0], failures
        return None, failures

    def call_each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook`` on every plugin, returning ``(plugin name, result)`` pairs."""
        results = []
        for impl in reversed(getattr(self.hook, hook).get_hookimpls()):
            args = [kwargs[a] for a in impl.argnames]
            results.append((impl.plugin_name, impl.function(*args)))
        return results


def installed_plugin_names() -> set[str]:
    """The names of the entry points in the group ``makker`` of the installed packages
    (loaded or not: only those in ``MAKKER_PLUGINS`` are loaded)."""
    from importlib.metadata import entry_points

    return {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}


def not_loaded_message(name: str) -> str:
    """Why the plugin ``name`` is not loaded, for an error naming it: installed but not
    allowed, or not installed at all."""
    if name in installed_plugin_names():
        return "installed but not allowed by MAKKER_PLUGINS"
    return "unknown plugin"


def create_plugin_manager(
    allowlist: Sequence[str] = (), *, builtins: Sequence[str] = DEFAULT_PLUGINS
) -> MakkerPluginManager:
    """The plugin manager: built-in plugins, then the allow-listed third-party plugins.

    :param allowlist: entry-point names (group ``makker``) to load, from ``MAKKER_PLUGINS``.
        Nothing else installed is loaded, and an empty allowlist loads no entry points at all.
    :param builtins: module names of the built-in plugins (tests may pass fewer).
    :raises PluginError: for a plugin that cannot be loaded, an allow-listed name that no
        installed package provides, or a hook implementation that matches no hook.
    """
    pm = MakkerPluginManager()
    for module_name in builtins:
        pm.register(importlib.import_module(module_name), name=module_name.rsplit(".", 1)[-1])
    for name in allowlist:
        if pm.get_plugin(name) is not None:
            raise PluginError(f"plugin {name!r}: a built-in plugin already has this name")
        try:
            loaded = pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"plugin {name!r} could not be loaded: {exc}") from exc
        if loaded == 0:
            raise PluginError(
                f"plugin {name!r} is named in MAKKER_PLUGINS but no installed package provides "
                f"an entry point {name!r} in the group {ENTRY_POINT_GROUP!r}"
            )
        check_api_declaration(pm.get_plugin(name), name, required=True)
    pm.check_pending()
    return pm
