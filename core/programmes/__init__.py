"""Programme rules at run time: plugin enablement and configuration per tenant and programme,
intake fields, eligibility and forløb policy (the hooks are in :mod:`core.plugin_api`)."""
