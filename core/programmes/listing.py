"""``makker plugins list``: each loaded plugin, its version, its hooks, what it provides and who
uses it.

A plugin with programme hooks (rules, intake fields, policies) is *enabled* by tenants and
programmes in their tenant files. What a plugin registers is used where it is named or chosen:
a programme type by the programmes of that ``type``, a matching strategy by the programmes that
match with it (the one a programme enables, else the default), an instrument by the programmes
whose ``[[programmes.outcomes]]`` name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.plugin_api import (
    DurationMonths,
    MakkerPluginManager,
    MatchingStrategy,
    ProgrammeContext,
    TenantContext,
)
from core.tenancy.config import ProgrammeConfig, TenantConfig


@dataclass(frozen=True)
class PluginRow:
    name: str
    version: str
    hooks: list[str]
    #: ``tenant (all programmes)`` or ``tenant/programme``: who enables the plugin in a tenant
    #: file (its rules, its settings, its strategy); what it registers is used as
    #: :attr:`provides` says.
    enabled_by: list[str]
    #: What the plugin registers and who uses it, one line each (``strategy shared_areas:
    #: used by kolding/x``).
    provides: list[str] = field(default_factory=list)


#: Hooks with a ``programme`` argument that are nevertheless asked of every loaded plugin (the
#: default applies exactly when a programme enables nothing that answers).
ASKED_OF_EVERY_PLUGIN = frozenset({"default_matching_strategy"})


def programme_hook_names(pm: MakkerPluginManager) -> set[str]:
    """Hooks with a ``programme`` argument: called only for plugins the programme enables."""
    return {
        name
        for name, caller in vars(pm.hook).items()
        if caller.spec is not None
        and "programme" in caller.spec.argnames
        and name not in ASKED_OF_EVERY_PLUGIN
    }


def _enabled(tenant: TenantConfig, programme: ProgrammeConfig) -> set[str]:
    return set(tenant.plugins) | set(programme.plugins)


def _context(tenant: TenantConfig, programme: ProgrammeConfig) -> ProgrammeContext:
    """Enough of a programme context to ask the default strategy (no settings resolved)."""
    return ProgrammeContext(
        tenant=TenantContext(slug=tenant.slug, name=tenant.name, kind=tenant.kind),
        slug=programme.slug,
        name=programme.name,
        type=programme.type,
        areas=tuple(programme.areas),
        duration_months=DurationMonths(
            programme.policy.duration_months.min, programme.policy.duration_months.max
        ),
        meeting_frequencies=tuple(programme.policy.meeting_frequencies),
        configs={name: None for name in _enabled(tenant, programme)},
    )


def strategy_users(
    pm: MakkerPluginManager, configs: list[TenantConfig], strategies: list[MatchingStrategy]
) -> dict[str, list[str]]:
    """``tenant/programme`` of every programme by the strategy it matches with - the one an
    enabled plugin registers (other than the default), else the default (as
    :func:`core.matching.waiting_list.strategy_for` chooses)."""
    scored = [s for s in strategies if s.scorer is not None]
    users: dict[str, list[str]] = {s.name: [] for s in strategies}
    for tenant in configs:
        for programme in tenant.programmes:
            context = _context(tenant, programme)
            default = pm.hook.default_matching_strategy(programme=context)
            enabled = _enabled(tenant, programme)
            chosen = [s.name for s in scored if s.plugin in enabled and s.name != default]
            for name in chosen or ([default] if default in users else []):
                users[name].append(f"{tenant.slug}/{programme.slug}")
    return users


def _used(users: list[str]) -> str:
    return f"used by {', '.join(users)}" if users else "used by no programme"


def _provides(pm: MakkerPluginManager, configs: list[TenantConfig]) -> dict[str, list[str]]:
    from core.outcomes.instruments import registered_instruments
    from core.programmes.registry import matching_strategies, programme_types

    lines: dict[str, list[str]] = {}
    for kind in programme_types(pm).values():
        users = [f"{t.slug}/{p.slug}" for t in configs for p in t.programmes if p.type == kind.name]
        lines.setdefault(kind.plugin, []).append(f"programme type {kind.name}: {_used(users)}")
    strategies = list(matching_strategies(pm).values())
    users_of = strategy_users(pm, configs, strategies)
    for strategy in strategies:
        if strategy.scorer is None:
            what = "coordinators pair by hand, never chosen automatically"
        else:
            what = _used(users_of[strategy.name])
        lines.setdefault(strategy.plugin, []).append(f"strategy {strategy.name}: {what}")
    for instrument in registered_instruments(pm).values():
        users = [
            f"{t.slug}/{p.slug}"
            for t in configs
            for p in t.programmes
            if any(o.instrument == instrument.id for o in p.outcomes)
        ]
        lines.setdefault(instrument.plugin, []).append(
            f"instrument {instrument.id}: {_used(users)}"
        )
    return lines


def plugin_rows(pm: MakkerPluginManager, configs: list[TenantConfig]) -> list[PluginRow]:
    """One row per loaded plugin, in registration order."""
    provides = _provides(pm, configs)
    rows = []
    for name, _plugin in pm.list_name_plugin():
        enabled = []
        for tenant in configs:
            if name in tenant.plugins:
                enabled.append(f"{tenant.slug} (all programmes)")
            enabled += [
                f"{tenant.slug}/{p.slug}"
                for p in tenant.programmes
                if name in p.plugins and name not in tenant.plugins
            ]
        hooks = pm.implemented_hooks(name)
        rows.append(
            PluginRow(name, pm.plugin_version(name), hooks, enabled, provides.get(name, []))
        )
    return rows


def format_rows(rows: list[PluginRow]) -> list[str]:
    lines = []
    for row in rows:
        lines.append(f"{row.name} {row.version}")
        lines.append(f"  hooks: {', '.join(row.hooks) or '-'}")
        lines += [f"  {line}" for line in row.provides]
        lines.append(f"  enabled by: {', '.join(row.enabled_by) or '-'}")
    return lines
