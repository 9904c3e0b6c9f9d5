"""The outcome instruments the loaded plugins register (``register_instruments``).

Every loaded plugin is asked (a registration hook: tenants choose instruments in their files,
they do not enable instrument plugins). Each result has been checked by the plugin manager (an
:class:`~core.plugin_api.Instrument`, a list of them or ``None``, stamped with the plugin's
name); here the ids must be unique across plugins.
"""

from __future__ import annotations

from typing import cast

from core.plugin_api import Instrument, MakkerPluginManager, PluginError

__all__ = ["get_instrument", "registered_instruments"]


def registered_instruments(pm: MakkerPluginManager) -> dict[str, Instrument]:
    """Every registered instrument by id, in plugin registration order.

    :raises PluginError: if two plugins register the same id (naming both), or a plugin's hook
        fails or returns something other than instruments (naming the plugin).
    """
    found: dict[str, Instrument] = {}
    # pluggy calls the last registered plugin first; list them in registration order.
    for impl in pm.hook.register_instruments.get_hookimpls():
        # The guarded implementation returns a checked list (core.plugin_api.RESULT_CHECKS).
        for instrument in cast(list[Instrument], impl.function()):
            if instrument.id in found:
                raise PluginError(
                    f"plugins {found[instrument.id].plugin!r} and {instrument.plugin!r} both "
                    f"register the instrument {instrument.id!r}"
                )
            found[instrument.id] = instrument
    return found


def get_instrument(pm: MakkerPluginManager, instrument_id: str) -> Instrument:
    """The instrument ``instrument_id``.

    :raises LookupError: if no loaded plugin registers it (the message lists those that are).
    """
    instruments = registered_instruments(pm)
    try:
        return instruments[instrument_id]
    except KeyError:
        known = ", ".join(sorted(instruments)) or "none"
        raise LookupError(
            f"no loaded plugin registers the instrument {instrument_id!r} (registered: {known})"
        ) from None
