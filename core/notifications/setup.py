"""The transports a process has, from its settings and the tenant files.

* e-mail: SMTP when ``MAKKER_SMTP_HOST`` is set; otherwise, in development, the development
  mailbox (nothing leaves the machine); in production without SMTP, no e-mail (such rows fail
  with ``no_email_transport`` and are shown to coordinators);
* SMS: in development always the mailbox (a development machine sends no SMS); in production
  the tenant's gateway (``[notifications.sms]``): a plugin's (hook ``sms_gateway``), else the
  built-in generic HTTP gateway;
* the page: always.
"""

from __future__ import annotations

from typing import Any

from core.notifications.delivery import Transports
from core.notifications.sms import SmsTransport, builtin_gateway
from core.notifications.transports import MailboxTransport, PageTransport, SmtpTransport, Transport
from core.plugin_api import MakkerPluginManager
from core.settings import Settings
from core.tenancy.models import Tenant


def mailbox_enabled(settings: Settings) -> bool:
    """The development mailbox exists only in development (production refuses it: 404)."""
    return not settings.is_production


def sms_gateway_of(plugins: MakkerPluginManager, tenant: Tenant) -> Any:
    """The tenant's SMS gateway: a plugin's, else the built-in HTTP gateway, else ``None``."""
    config = (tenant.notifications or {}).get("sms")
    if not config:
        return None
    hook = getattr(plugins.hook, "sms_gateway", None)
    if hook is not None:
        found = hook(tenant=tenant.slug, config=dict(config))
        if found is not None:
            return found
    return builtin_gateway(config)


def make_transports(settings: Settings, plugins: MakkerPluginManager) -> Transports:
    mailbox = MailboxTransport()
    email: Transport | None
    if settings.smtp is not None:
        email = SmtpTransport(settings.smtp)
    elif mailbox_enabled(settings):
        email = mailbox
    else:
        email = None

    def sms_for(tenant: Tenant) -> Transport | None:
        if mailbox_enabled(settings):
            return mailbox
        gateway = sms_gateway_of(plugins, tenant)
        return SmsTransport(gateway) if gateway is not None else None

    return Transports(email=email, page=PageTransport(), sms_for=sms_for)
