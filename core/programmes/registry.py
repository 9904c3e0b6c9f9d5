"""What the loaded plugins provide, and which of them a programme enables with what settings.

A programme enables a plugin when the tenant file names it at tenant level
(``[plugins.<name>]``) or programme level (``[programmes.plugins.<name>]``). Settings fall back
programme -> tenant -> the defaults of the plugin's config schema, key by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import pluggy

from core.plugin_api import (
    MakkerPluginManager,
    MatchingStrategy,
    PluginError,
    ProgrammeContext,
    ProgrammeType,
    TenantContext,
    not_loaded_message,
)
from core.plugin_types import DurationMonths
from core.tenancy.models import Programme, Tenant


def config_schemas(pm: MakkerPluginManager) -> dict[str, type[msgspec.Struct] | None]:
    """Every loaded plugin's config schema (``None``: the plugin takes no settings)."""
    schemas: dict[str, type[msgspec.Struct] | None] = {
        name: None for name, _ in pm.list_name_plugin()
    }
    for name, schema in pm.call_each("plugin_config_schema"):
        schemas[name] = schema
    return schemas


def _unique(kind: str, items: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items:
        if item.name in found:
            raise PluginError(
                f"plugins {found[item.name].plugin!r} and {item.plugin!r} both register the "
                f"{kind} {item.name!r}"
            )
        found[item.name] = item
    return found


def programme_types(pm: MakkerPluginManager) -> dict[str, ProgrammeType]:
    """Registered programme types by name."""
    results = pm.hook.register_programme_types()
    return _unique("programme type", [t for items in results for t in items])


def matching_strategies(pm: MakkerPluginManager) -> dict[str, MatchingStrategy]:
    """Registered matching strategies by name."""
    results = pm.hook.register_matching_strategies()
    return _unique("matching strategy", [s for items in results for s in items])


class PluginConfigError(ValueError):
    """A plugin's settings in a tenant file are wrong. ``path`` is the key path inside the
    plugin's table (e.g. ``["min_sober_years"]``); the message says what was expected."""

    def __init__(self, message: str, path: list[str | int]) -> None:
        super().__init__(message)
        self.message, self.path = message, path


def check_plugin_config(
    schema: type[msgspec.Struct] | None, values: Mapping[str, Any]
) -> msgspec.Struct | None:
    """Validate one level of settings (tenant or programme) against a plugin's schema.

    A setting the plugin no longer takes is refused with the plugin's own hint when the schema
    lists it in a ``retired_settings`` class variable (``{old key: what to write instead}``)."""
    if schema is None:
        if values:
            key = next(iter(values))
            raise PluginConfigError("unknown key (this plugin takes no settings)", [key])
        return None
    known = set(schema.__struct_fields__)
    retired: Mapping[str, str] = getattr(schema, "retired_settings", {})
    for key in values:
        if key in retired and key not in known:
            raise PluginConfigError(retired[key], [key])
        if key not in known:
            raise PluginConfigError(
                f"unknown key (expected one of {', '.join(sorted(known))})", [key]
            )
    try:
        return msgspec.convert(dict(values), type=schema)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        path: list[str | int] = []
        for part in where.rstrip("`").replace("[", ".[").split("."):
            if part.startswith("[") and part.endswith("]"):
                path.append(int(part[1:-1]))
            elif part:
                path.append(part)
        raise PluginConfigError(message, path) from None


def resolve_config(
    schema: type[msgspec.Struct] | None,
    tenant_values: Mapping[str, Any] | None,
    programme_values: Mapping[str, Any] | None,
) -> msgspec.Struct | None:
    """Merge programme over tenant over the schema defaults, key by key."""
    merged = {**(tenant_values or {}), **(programme_values or {})}
    return check_plugin_config(schema, merged)


def enabled_plugin_names(tenant: Tenant, programme: Programme) -> list[str]:
    """Plugins the programme enables, tenant-level first, in file order."""
    names = list(tenant.plugins or {})
    names += [n for n in programme.plugins or {} if n not in names]
    return names


def programme_context(
    pm: MakkerPluginManager, tenant: Tenant, programme: Programme
) -> ProgrammeContext:
    """The context programme hooks receive, with each enabled plugin's resolved settings.

    :raises PluginError: if the programme enables a plugin that is not loaded (a rule that
        silently disappeared would be a silent pass).
    """
    schemas = config_schemas(pm)
    configs: dict[str, msgspec.Struct | None] = {}
    for name in enabled_plugin_names(tenant, programme):
        if name not in schemas:
            raise PluginError(
                f"plugin {name!r} is enabled for {tenant.slug}/{programme.slug} but not loaded: "
                f"{not_loaded_message(name)}"
            )
        try:
            configs[name] = resolve_config(
                schemas[name], (tenant.plugins or {}).get(name), (programme.plugins or {}).get(name)
            )
        except PluginConfigError as exc:
            raise PluginError(
                f"plugin {name!r}: settings for {tenant.slug}/{programme.slug} are invalid: {exc}"
            ) from None
    policy = programme.policy or {}
    months = policy.get("duration_months", {"min": 0, "max": 0})
    return ProgrammeContext(
        tenant=TenantContext(slug=tenant.slug, name=tenant.name, kind=str(tenant.kind.value)),
        slug=programme.slug,
        name=programme.name,
        type=programme.type,
        areas=tuple(programme.areas or ()),
        duration_months=DurationMonths(months["min"], months["max"]),
        meeting_frequencies=tuple(policy.get("meeting_frequencies", ())),
        configs=configs,
    )


def programme_hook(pm: MakkerPluginManager, name: str, programme: ProgrammeContext) -> Any:
    """The hook ``name`` restricted to the plugins ``programme`` enables."""
    disabled = [p for n, p in pm.list_name_plugin() if n not in programme.configs]
    caller: pluggy.HookCaller = getattr(pm.hook, name)
    if not disabled:
        return caller
    return pm.subset_hook_caller(name, remove_plugins=disabled)
