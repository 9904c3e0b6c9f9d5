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
invalid settings raise :class:`~core.plugin_api.PluginError`. An instrument plugin is tested
the same way: ``harness.instruments()`` and ``harness.score("my_instrument", {...})``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from core import clock
from core.outcomes.instruments import get_instrument, registered_instruments
from core.outcomes.scoring import Score, score
from core.plugin_api import (
    Instrument,
    IntakeField,
    MakkerPluginManager,
    PersonContext,
    PolicyDecision,
    ProgrammeContext,
    Role,
    Transition,
    Verdict,
    create_plugin_manager,
)
from core.programmes.intake import decode_attributes, intake_fields, validate_intake_values
from core.programmes.registry import programme_context
from core.programmes.service import check_transition, evaluate_eligibility, notify_transition
from core.tenancy.models import Programme, Tenant, TenantKind

__all__ = ["PluginHarness", "fake_programme"]


def fake_programme(
    pm: MakkerPluginManager,
    *,
    tenant_plugins: Mapping[str, Mapping[str, Any]] | None = None,
    programme_plugins: Mapping[str, Mapping[str, Any]] | None = None,
    areas: Sequence[str] = ("psykiatri", "handicap", "misbrug"),
    tenant_slug: str = "testkommune",
    programme_slug: str = "test-programme",
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
        type="peer_mentor",
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
    ) -> PersonContext:
        """A person whose intake answers went through the core's validation.

        ``answers`` maps ``"<plugin>.<field>"`` to JSON values (a ``datetime.date`` is accepted
        for a date field). Invalid answers raise
        :class:`core.programmes.intake.IntakeValidationError`, as the API would answer 400.
        """
        fields = self.fields()
        raw = {
            k: v.isoformat() if isinstance(v, dt.date) else v for k, v in (answers or {}).items()
        }
        stored = validate_intake_values(fields, raw, today or clock.today())
        return PersonContext(
            id=uuid.uuid4(), attributes=decode_attributes(fields, stored), birth_year=birth_year
        )

    def verdicts(
        self,
        role: Role,
        answers: Mapping[str, Any] | None = None,
        *,
        today: dt.date,
        birth_year: int | None = None,
    ) -> list[Verdict]:
        """Every verdict the enabled plugins give on a person with ``answers``."""
        person = self.person(answers, today=today, birth_year=birth_year)
        return evaluate_eligibility(self.pm, self.programme, person, role, today).verdicts

    def verdict(
        self,
        role: Role,
        answers: Mapping[str, Any] | None = None,
        *,
        today: dt.date,
        birth_year: int | None = None,
    ) -> Verdict:
        """The single verdict of your rule (fails the test if there is not exactly one)."""
        verdicts = self.verdicts(role, answers, today=today, birth_year=birth_year)
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
    ) -> Transition:
        return Transition(
            person=self.person(answers, today=today),
            role=role,
            from_status=from_status,
            to_status=to_status,
            on=today,
        )

    def policy(self, transition: Transition) -> list[PolicyDecision]:
        """The decisions the enabled plugins take on ``transition``."""
        return check_transition(self.pm, self.programme, transition).decisions

    def notify(self, transition: Transition) -> None:
        """Send ``transition`` to the plugins' ``forloeb_event`` hooks."""
        notify_transition(self.pm, self.programme, transition)

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
