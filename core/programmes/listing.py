"""``makker plugins list``: each loaded plugin, its version, its hooks and who enables it."""

from __future__ import annotations

from dataclasses import dataclass

from core.plugin_api import MakkerPluginManager
from core.tenancy.config import TenantConfig


@dataclass(frozen=True)
class PluginRow:
    name: str
    version: str
    hooks: list[str]
    #: ``tenant`` (tenant level: all its programmes) or ``tenant/programme``.
    enabled_by: list[str]


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


def plugin_rows(pm: MakkerPluginManager, configs: list[TenantConfig]) -> list[PluginRow]:
    """One row per loaded plugin, in registration order."""
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
        if not any(h in programme_hook_names(pm) for h in hooks):
            enabled = ["always (registration hooks only)"]
        rows.append(PluginRow(name, pm.plugin_version(name), hooks, enabled))
    return rows


def format_rows(rows: list[PluginRow]) -> list[str]:
    lines = []
    for row in rows:
        lines.append(f"{row.name} {row.version}")
        lines.append(f"  hooks: {', '.join(row.hooks) or '-'}")
        lines.append(f"  enabled by: {', '.join(row.enabled_by) or '-'}")
    return lines
