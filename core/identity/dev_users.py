"""Clearly fictional demo users of the development issuer (development mode only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.web.i18n import gettext as _


def role_label(role: str) -> str:
    """A realm role as people call it (the development login page lists each user's)."""
    labels = {
        "platform_admin": _("Platform administrator"),
        "tenant_admin": _("Administrator"),
        "coordinator": _("Coordinator"),
        "mentor": _("Mentor"),
        "mentee": _("Citizen"),
        "partner_staff": _("Partner staff"),
    }
    return labels.get(role, role)


@dataclass(frozen=True)
class DevUser:
    username: str
    name: str
    roles: tuple[str, ...]
    organizations: tuple[str, ...]
    password: str = "demo"
    sub: str = field(default="")
    #: A verified e-mail address (users who accepted an invitation have one).
    email: str = ""

    @property
    def subject(self) -> str:
        return self.sub or f"dev-{self.username}"

    @property
    def role_labels(self) -> list[str]:
        """The user's roles by name, in the current language ("Koordinator", not the id)."""
        return [role_label(r) for r in self.roles]


#: The users linked to a demo person (``core.demo.data.DEMO_ACCOUNTS``) carry that person's name,
#: so the header shows who is signed in; the others are staff, marked "(demo)".
DEMO_USERS: tuple[DevUser, ...] = (
    DevUser("kolding-koordinator", "Karin Koordinatorsen (demo)", ("coordinator",), ("kolding",)),
    DevUser(
        "kolding-admin", "Anders Adminsen (demo)", ("tenant_admin", "coordinator"), ("kolding",)
    ),
    DevUser("kolding-mentor", "Jens Demosen", ("mentor",), ("kolding",)),
    DevUser("vejle-koordinator", "Vibeke Koordinatorsen (demo)", ("coordinator",), ("vejle",)),
    DevUser("vejle-admin", "Viggo Adminsen (demo)", ("tenant_admin", "coordinator"), ("vejle",)),
    DevUser("vejle-mentor", "Mette Skitsesen", ("mentor",), ("vejle",)),
    DevUser("vejle-borger", "Anna Demosen", ("mentee",), ("vejle",)),
    DevUser(
        "psykiatrifonden-medarbejder",
        "Pernille Partnersen (demo)",
        ("partner_staff",),
        ("psykiatrifonden",),
    ),
    DevUser("platform-admin", "Palle Platformsen (demo)", ("platform_admin",), ()),
)
