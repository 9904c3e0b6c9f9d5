"""Clearly fictional demo users of the development issuer (development mode only)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DevUser:
    username: str
    name: str
    roles: tuple[str, ...]
    organizations: tuple[str, ...]
    password: str = "demo"
    sub: str = field(default="")

    @property
    def subject(self) -> str:
        return self.sub or f"dev-{self.username}"


DEMO_USERS: tuple[DevUser, ...] = (
    DevUser("kolding-koordinator", "Karin Koordinatorsen (demo)", ("coordinator",), ("kolding",)),
    DevUser(
        "kolding-admin", "Anders Adminsen (demo)", ("tenant_admin", "coordinator"), ("kolding",)
    ),
    DevUser("kolding-mentor", "Mads Mentorsen (demo)", ("mentor",), ("kolding",)),
    DevUser("vejle-koordinator", "Vibeke Koordinatorsen (demo)", ("coordinator",), ("vejle",)),
    DevUser("vejle-admin", "Viggo Adminsen (demo)", ("tenant_admin", "coordinator"), ("vejle",)),
    DevUser("vejle-mentor", "Mette Mentorsen (demo)", ("mentor",), ("vejle",)),
    DevUser("vejle-borger", "Bent Borgersen (demo)", ("mentee",), ("vejle",)),
    DevUser(
        "psykiatrifonden-medarbejder",
        "Pernille Partnersen (demo)",
        ("partner_staff",),
        ("psykiatrifonden",),
    ),
    DevUser("platform-admin", "Palle Platformsen (demo)", ("platform_admin",), ()),
)
