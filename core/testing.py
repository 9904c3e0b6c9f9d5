"""Test helpers for plugin authors: run your hooks the way Makker runs them, without a database.

::

    from core.testing import PluginHarness
    import my_plugin

    def test_mentor_sober_two_years_is_eligible():
        harness = PluginHarness(my_plugin, config={"min_years": 2})
        verdict = harness.verdict("mentor", {"my_plugin.sober_since": "2020-01-01"},
                                  today=date(2022, 1, 1))
        assert verdict.outcome == "pass"

The harness registers your plugin (and only the built-ins you ask for) in a real
:class:`~core.plugin_api.MakkerPluginManager`, enables it for one programme with your settings,
sends answers through the core's intake validation and decodes them as rules see them. So a test
that passes here exercises the same checks as production: wrong return types, exceptions and
invalid settings raise :class:`~core.plugin_api.PluginError` (in production the core isolates a
failing rule instead - its verdict becomes ``unknown`` - but a test should fail loudly).

Every hook kind has its helpers: rules (``verdict``/``verdicts``, ``person``), intake fields
(``fields``), forløb policies and events (``transition`` of every kind, ``policy``,
``notify``), matching strategies (``strategy``, ``profile``, ``match``: the matrix, checked to
agree with the strategy's explanations), instruments (``instruments``, ``score``), and the
answer hooks (``default_strategy``, ``course_threshold``) and notification channels
(``sms_gateway``, ``send_sms``).

Plugin tests import from here and from :mod:`core.plugin_api` only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from core import clock
from core.outcomes.instruments import get_instrument, registered_instruments
from core.outcomes.scoring import AnswerError, Score, score
from core.plugin_api import (
    EnrolmentContext,
    ForloebContext,
    Instrument,
    IntakeField,
    IntakeValidationError,
    MakkerPluginManager,
    MatchingStrategy,
    MatchProfile,
    Outgoing,
    PairScore,
    PersonContext,
    PolicyDecision,
    ProgrammeContext,
    ProgrammeType,
    Role,
    RoleHeld,
    ScoreMatrix,
    Transition,
    TransitionKind,
    Verdict,
    call_plugin,
    create_plugin_manager,
)
from core.programmes.intake import decode_attributes, intake_fields, validate_intake_values
from core.programmes.registry import matching_strategies, programme_context, programme_types
from core.programmes.service import check_transition, evaluate_eligibility, notify_transition
from core.tenancy.models import Programme, Tenant, TenantKind

__all__ = [
    "AnswerError",
    "IntakeValidationError",
    "PluginHarness",
    "Score",
    "StrategyDisagrees",
    "fake_programme",
]


class StrategyDisagrees(AssertionError):
    """A strategy's ``explain`` does not agree with its ``matrix`` (or the matrix is malformed);
    the message names the pair."""


def fake_programme(
    pm: MakkerPluginManager,
    *,
    tenant_plugins: Mapping[str, Mapping[str, Any]] | None = None,
    programme_plugins: Mapping[str, Mapping[str, Any]] | None = None,
    areas: Sequence[str] = ("psykiatri", "handicap", "misbrug"),
    tenant_slug: str = "testkommune",
    programme_slug: str = "test-programme",
    programme_type: str = "peer_mentor",
) -> ProgrammeContext:
    """A programme context as the core builds it from a tenant file (tenant- and programme-level
    ``[plugins.<name>]`` tables), with settings resolved programme -> tenant -> defaults."""
    tenant = Tenant(
        slug=tenant_slug,
        name="Testkommune",
        kind=TenantKind.MUNICIPALITY,
        municipality_code="999",
        plugins={k: dict(v) for k, v in (tenant_plugins or {}).items()},
    )
    programme = Programme(
        slug=programme_slug,
        name="Testprogram",
        type=programme_type,
        areas=list(areas),
        policy={
            "duration_months": {"min": 6, "max": 9},
            "meeting_frequencies": ["weekly", "fortnightly"],
        },
        plugins={k: dict(v) for k, v in (programme_plugins or {}).items()},
    )
    return programme_context(pm, tenant, programme)


class PluginHarness:
    """One plugin, enabled for one programme, ready to be asked.

    :param plugin: your plugin module or object.
    :param name: the name it is registered and configured under (default: the module's last
        name part).
    :param config: its programme-level settings; ``tenant_config`` its tenant-level ones.
    :param areas: the programme's areas.
    :param programme_type: the programme's ``type`` (default ``peer_mentor``).
    :param builtins: built-in plugin modules to load and enable alongside (default: none).
    """

    def __init__(
        self,
        plugin: object,
        *,
        name: str | None = None,
        config: Mapping[str, Any] | None = None,
        tenant_config: Mapping[str, Any] | None = None,
        areas: Sequence[str] = ("psykiatri", "handicap", "misbrug"),
        programme_type: str = "peer_mentor",
        builtins: Sequence[str] = (),
    ) -> None:
        self.name = name or str(getattr(plugin, "__name__", type(plugin).__name__)).rsplit(".")[-1]
        self.pm = create_plugin_manager(builtins=builtins)
        self.pm.register(plugin, name=self.name)
        self.pm.check_pending()
        tenant_plugins = {self.name: dict(tenant_config)} if tenant_config is not None else {}
        self.programme = fake_programme(
            self.pm,
            tenant_plugins=tenant_plugins,
            programme_plugins={
                **{b.rsplit(".", 1)[-1]: {} for b in builtins},
                self.name: dict(config or {}),
            },
            areas=areas,
            programme_type=programme_type,
        )

    def fields(self, role: Role | None = None) -> list[IntakeField]:
        """The intake fields the plugin asks in the programme."""
        return intake_fields(self.pm, self.programme, role)

    def person(
        self,
        answers: Mapping[str, Any] | None = None,
        *,
        today: dt.date | None = None,
        birth_year: int | None = None,
        gender: str | None = None,
        postal_code: str | None = None,
        areas: Sequence[str] = (),
        roles_held_before: Sequence[tuple[str, Role]] = (),
    ) -> PersonContext:
        """A person whose intake answers went through the core's validation.

        ``answers`` maps ``"<plugin>.<field>"`` to JSON values (a ``datetime.date`` is accepted
        for a date field). Invalid answers raise :class:`IntakeValidationError`, as the API
        would answer 400. The basics are the person record's: ``birth_year``, ``gender``,
        ``postal_code``, the før-samtale's ``areas`` and ``roles_held_before`` as
        ``(programme slug, role)`` pairs.
        """
        fields = self.fields()
        raw = {
            k: v.isoformat() if isinstance(v, dt.date) else v for k, v in (answers or {}).items()
        }
        stored = validate_intake_values(fields, raw, today or clock.today())
        return PersonContext(
            id=uuid.uuid4(),
            attributes=decode_attributes(fields, stored),
            birth_year=birth_year,
            gender=gender.strip().lower() if gender else None,
            postal_code=postal_code,
            areas=frozenset(areas),
            roles_held_before=tuple(RoleHeld(programme=p, role=r) for p, r in roles_held_before),
        )

    def verdicts(
        self,
        role: Role,
        answers: Mapping[str, Any] | None = None,
        *,
        today: dt.date,
        person: PersonContext | None = None,
        **basics: Any,
    ) -> list[Verdict]:
        """Every verdict the enabled plugins give on a person with ``answers`` (or on
        ``person``); ``basics`` are :meth:`person`'s keywords (``birth_year=...``).

        :raises PluginError: if a plugin raised or answered wrongly (production would show
            its verdict as ``unknown``)."""
        person = person or self.person(answers, today=today, **basics)
        report = evaluate_eligibility(self.pm, self.programme, person, role, today)
        for error in report.failures.values():
            raise error
        return report.verdicts

    def verdict(
        self,
        role: Role,
        answers: Mapping[str, Any] | None = None,
        *,
        today: dt.date,
        person: PersonContext | None = None,
        **basics: Any,
    ) -> Verdict:
        """The single verdict of your rule (fails the test if there is not exactly one)."""
        verdicts = self.verdicts(role, answers, today=today, person=person, **basics)
        assert len(verdicts) == 1, f"expected one verdict, got {verdicts!r}"
        return verdicts[0]

    def transition(
        self,
        role: Role,
        to_status: str,
        answers: Mapping[str, Any] | None = None,
        *,
        from_status: str | None = None,
        today: dt.date,
        kind: TransitionKind = "enrolment",
        person: PersonContext | None = None,
        pause_start: dt.date | None = None,
        planned_resume: dt.date | None = None,
        reason: str | None = None,
        started_on: dt.date | None = None,
        frequency: str = "weekly",
        planned_months: int = 6,
    ) -> Transition:
        """A transition as the core builds it.

        ``kind="enrolment"`` (default): the person's enrolment moves (``ready -> matched`` when
        they are considered for a forløb); ``transition.enrolment`` is filled in.
        ``kind="forloeb"``: the forløb moves (``from_status`` is its state before, e.g.
        ``active -> paused``); the harness fills in a forløb with the plan
        (``frequency``, ``planned_months``, ``started_on``), both parties' enrolments, the
        pause (``pause_start`` defaults to ``today`` when ``to_status`` is ``paused``) and
        ``reason``.
        """
        person = person or self.person(answers, today=today)
        slug = self.programme.slug
        if kind == "enrolment":
            return Transition(
                person=person,
                role=role,
                from_status=from_status,
                to_status=to_status,
                on=today,
                kind=kind,
                enrolment=EnrolmentContext(
                    id=uuid.uuid4(), programme=slug, role=role, status=from_status or "ready"
                ),
                reason=reason,
            )
        if kind != "forloeb":
            raise ValueError(f"kind must be 'enrolment' or 'forloeb', not {kind!r}")
        party_status = "matched" if from_status in (None, "proposed") else "active"
        if to_status == "paused" and pause_start is None:
            pause_start = today
        return Transition(
            person=person,
            role=role,
            from_status=from_status,
            to_status=to_status,
            on=today,
            kind=kind,
            forloeb=ForloebContext(
                id=uuid.uuid4(),
                state=from_status or "proposed",
                started_on=started_on,
                frequency=frequency,
                planned_months=planned_months,
            ),
            mentee_enrolment=EnrolmentContext(
                id=uuid.uuid4(), programme=slug, role="mentee", status=party_status
            ),
            mentor_enrolment=EnrolmentContext(
                id=uuid.uuid4(), programme=slug, role="mentor", status=party_status
            ),
            pause_start=pause_start,
            planned_resume=planned_resume,
            reason=reason,
        )

    def policy(self, transition: Transition) -> list[PolicyDecision]:
        """The decisions the enabled plugins take on ``transition``.

        :raises PluginError: if a plugin raised or answered wrongly."""
        result = check_transition(self.pm, self.programme, transition)
        for error in result.failures.values():
            raise error
        return result.decisions

    def notify(self, transition: Transition) -> None:
        """Send ``transition`` to the plugins' ``forloeb_event`` hooks.

        :raises PluginError: if a plugin raised or returned something."""
        for error in notify_transition(self.pm, self.programme, transition).values():
            raise error

    # -- matching strategies -------------------------------------------------------------
    def strategy(self, name: str) -> MatchingStrategy:
        """The registered strategy ``name`` (checked as Makker checks it).

        :raises KeyError: if no loaded plugin registers it."""
        return matching_strategies(self.pm)[name]

    @staticmethod
    def profile(key: str, **fields: Any) -> MatchProfile:
        """A :class:`MatchProfile` (``areas``, ``challenges``, ``interests`` and
        ``availability`` may be given as any iterable of strings)."""
        for name in ("areas", "challenges", "interests", "availability"):
            if name in fields:
                fields[name] = frozenset(fields[name])
        return MatchProfile(key, **fields)

    def match(
        self,
        strategy: str,
        mentees: Sequence[MatchProfile],
        mentors: Sequence[MatchProfile],
        *,
        today: dt.date,
    ) -> ScoreMatrix:
        """The strategy's score matrix for ``mentees`` x ``mentors`` with your settings, after
        checking what Makker relies on: the matrix has one row per mentee and one column per
        mentor, no score is negative, and for every pair ``explain`` agrees - the same points,
        ``excluded_because`` set exactly where the matrix disallows the pair, and the points
        of an allowed pair's reasons adding up to its points.

        :raises StrategyDisagrees: naming the first pair that does not agree.
        :raises PluginError: if ``matrix`` or ``explain`` raises (in production the core
            isolates it: no suggestions, and a Danish notice that the strategy failed).
        """
        found = self.strategy(strategy)
        if found.scorer is None:
            raise StrategyDisagrees(f"strategy {strategy!r} has no scorer (manual matching)")
        config = self.programme.configs.get(found.plugin)
        matrix = call_plugin(
            found.scorer.matrix,
            found.plugin,
            "scorer.matrix",
            list(mentees),
            list(mentors),
            config,
            today,
        )
        shape = (len(mentees), len(mentors))
        if matrix.scores.shape != shape or matrix.allowed.shape != shape:
            raise StrategyDisagrees(
                f"strategy {strategy!r}: the matrix is {matrix.scores.shape} (allowed "
                f"{matrix.allowed.shape}); expected {shape}, mentees x mentors"
            )
        if np.any(matrix.scores < 0):
            raise StrategyDisagrees(f"strategy {strategy!r}: a score is negative")
        for i, mentee in enumerate(mentees):
            for j, mentor in enumerate(mentors):
                explained: PairScore = call_plugin(
                    found.scorer.explain,
                    found.plugin,
                    "scorer.explain",
                    *(mentee, mentor, config, today),
                )
                pair = f"strategy {strategy!r}, pair {mentee.key!r} x {mentor.key!r}"
                if not np.isclose(matrix.scores[i, j], explained.points):
                    raise StrategyDisagrees(
                        f"{pair}: the matrix gives {float(matrix.scores[i, j])}, explain gives "
                        f"{explained.points}"
                    )
                if bool(matrix.allowed[i, j]) != explained.allowed:
                    raise StrategyDisagrees(
                        f"{pair}: the matrix {'allows' if matrix.allowed[i, j] else 'excludes'}"
                        f" the pair, explain {'allows' if explained.allowed else 'excludes'} it"
                    )
                total = sum(r.points for r in explained.reasons)
                if (
                    explained.allowed
                    and explained.reasons
                    and not np.isclose(total, explained.points)
                ):
                    raise StrategyDisagrees(
                        f"{pair}: the reasons add up to {total}, the points are {explained.points}"
                    )
        return matrix

    def explain(
        self, strategy: str, mentee: MatchProfile, mentor: MatchProfile, *, today: dt.date
    ) -> PairScore:
        """The strategy's explanation of one pair, with your settings.

        :raises PluginError: if ``explain`` raises."""
        found = self.strategy(strategy)
        return call_plugin(  # type: ignore[no-any-return]
            found.scorer.explain,
            found.plugin,
            "scorer.explain",
            mentee,
            mentor,
            self.programme.configs.get(found.plugin),
            today,
        )

    # -- notification channels -----------------------------------------------------------
    def sms_gateway(self, config: Mapping[str, Any], *, tenant: str = "testkommune") -> Any:
        """The SMS gateway the loaded plugins give for a tenant's ``[notifications.sms]``
        table ``config`` (checked as Makker checks it), or ``None``."""
        return self.pm.hook.sms_gateway(tenant=tenant, config=dict(config))

    @staticmethod
    def send_sms(gateway: Any, to: str, body: str, *, idempotency_key: str = "test-key") -> bool:
        """Send one SMS through ``gateway`` as Makker's delivery does; returns whether the
        gateway called ``handover`` (it must, just before the request that sends). A
        :class:`~core.plugin_api.DeliveryRefused` the gateway raises reaches the caller."""
        handed_over = False

        async def handover() -> None:
            nonlocal handed_over
            handed_over = True

        message = Outgoing(
            to=to, title="", body=body, idempotency_key=idempotency_key, stop_link=""
        )
        asyncio.run(gateway.send(message, handover))
        return handed_over

    # -- answer hooks ----------------------------------------------------------------------
    def default_strategy(self) -> str | None:
        """The default strategy the loaded plugins answer for the programme."""
        return self.pm.hook.default_matching_strategy(programme=self.programme)  # type: ignore[no-any-return]

    def course_threshold(self) -> int | None:
        """The course-completion threshold the enabled plugins answer for the programme."""
        from core.programmes.registry import programme_hook

        hook = programme_hook(self.pm, "course_completion_threshold", self.programme)
        return hook(programme=self.programme)  # type: ignore[no-any-return]

    def programme_types(self) -> dict[str, ProgrammeType]:
        """The programme types the loaded plugins register, by name (checked as Makker checks
        them: two plugins registering one name raise :class:`~core.plugin_api.PluginError`)."""
        return programme_types(self.pm)

    def instruments(self) -> dict[str, Instrument]:
        """The instruments the loaded plugins register, by id, checked as Makker checks them
        (a wrong return type or a duplicate id raises :class:`~core.plugin_api.PluginError`)."""
        return registered_instruments(self.pm)

    def score(self, instrument: str, answers: Mapping[str, int | None]) -> Score:
        """Score ``answers`` (item key -> option value) to the instrument ``instrument`` with
        the core's scoring: reversed items turned, ``total`` ``None`` while an item is
        unanswered, an answer off the scale refused with
        :class:`core.outcomes.scoring.AnswerError` naming the item."""
        return score(get_instrument(self.pm, instrument), answers)
