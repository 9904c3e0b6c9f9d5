"""Encryption at rest of Art. 9 free text (issue 15): før-samtale texts, meeting notes, the
reasons of status changes, pauses and early ends, a legal hold's reason, and the like
(:data:`ENCRYPTED_COLUMNS`).

A column typed :class:`EncryptedText` holds ``enc1:<key id>:<Fernet token>`` in the database;
code reads and writes plain ``str``. Fernet (``cryptography``) is AES-128-CBC with
HMAC-SHA256, a random IV per value: the same text encrypts differently each time, so such a
column can never be compared, searched, sorted or grouped in SQL (no such query exists; a test
in ``tests/test_encryption.py`` walks the columns). ``None`` stays ``NULL``.

Keys come from ``MAKKER_DATA_KEYS`` (:func:`keys_for`): comma-separated Fernet keys, the first
encrypts, all decrypt (their key ids are the first 8 hex digits of SHA-256 of the key). Production
refuses to start without one (:mod:`core.settings`); development derives one from
``MAKKER_SECRET_KEY``. ``makker keys rotate`` (:mod:`core.db.key_rotation`) re-encrypts what
another key encrypted.

A value without the ``enc1:`` prefix is read as it is: rows written before migration 0024 (0026
for ``legal_hold.reason``), which encrypts them, stay readable while it runs, and ``makker keys
rotate`` encrypts any left.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

PREFIX = "enc1:"
#: The encrypted columns, table -> columns (each typed :class:`EncryptedText` on its model).
ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "intake": ("motivation", "expectations", "wish_activities", "challenges", "chemistry_notes"),
    "enrolment": ("override_reason",),
    "enrolment_event": ("reason",),
    "forloeb_event": ("reason",),
    "meeting": ("note",),
    "questionnaire_response": ("correction_reason",),
    "application": ("hope",),
    "legal_hold": ("reason",),
}


class DataKeyError(Exception):
    """A value names a key that ``MAKKER_DATA_KEYS`` does not hold, or was tampered with."""


def key_id(key: bytes) -> str:
    """The key's id in stored values: 8 hex digits of its SHA-256 (never the key)."""
    return hashlib.sha256(key).hexdigest()[:8]


def check_key(raw: str) -> bytes:
    """``raw`` as a Fernet key (32 bytes, URL-safe base64), or :class:`ValueError`."""
    try:
        decoded = base64.urlsafe_b64decode(raw.encode())
    except (binascii.Error, ValueError):
        raise ValueError("not URL-safe base64") from None
    if len(decoded) != 32:
        raise ValueError("not 32 bytes")
    return raw.encode()


def development_key(secret: str) -> bytes:
    """The development data key, derived deterministically from ``MAKKER_SECRET_KEY``."""
    digest = hashlib.sha256(b"makker data key\n" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@dataclass(frozen=True)
class DataKeys:
    """The keys of this process: ``keys[0]`` encrypts, every key decrypts."""

    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("at least one data key")
        object.__setattr__(self, "_fernets", {key_id(k): Fernet(k) for k in self.keys})

    @property
    def current_id(self) -> str:
        return key_id(self.keys[0])

    def encrypt(self, plain: str) -> str:
        token = self._fernets[self.current_id].encrypt(plain.encode())  # type: ignore[attr-defined]
        return f"{PREFIX}{self.current_id}:{token.decode()}"

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption (migration 0024 encrypts it)
        kid, _, token = stored[len(PREFIX) :].partition(":")
        fernet = self._fernets.get(kid)  # type: ignore[attr-defined]
        if fernet is None:
            raise DataKeyError(f"a value is encrypted with data key {kid}, not in MAKKER_DATA_KEYS")
        try:
            return str(fernet.decrypt(token.encode()).decode())
        except InvalidToken:
            raise DataKeyError(f"a value encrypted with data key {kid} does not decrypt") from None

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}{self.current_id}:")


def keys_for(data_keys: Sequence[str], secret_key: str) -> DataKeys:
    """The keys of ``MAKKER_DATA_KEYS`` (already checked by the settings), or in development
    (none given) the key derived from the secret - plus the one derived from the repository's
    development secret, so a development database stays readable under another secret."""
    if data_keys:
        return DataKeys(tuple(k.encode() for k in data_keys))
    from core.settings import DEV_SECRET_KEY

    derived = [development_key(secret_key)]
    if secret_key != DEV_SECRET_KEY:
        derived.append(development_key(DEV_SECRET_KEY))
    return DataKeys(tuple(derived))


_keys: DataKeys | None = None


def configure(keys: DataKeys) -> None:
    """Set this process's keys (the app factory and every CLI command do, from the settings)."""
    global _keys
    _keys = keys


def configure_from(settings: Any) -> None:
    """:func:`configure` from a :class:`core.settings.Settings`."""
    configure(keys_for(settings.data_keys, settings.secret_key))


def current_keys() -> DataKeys:
    """This process's keys; before :func:`configure` (tests, Alembic run from Python) the
    development keys of the default settings. Production always configures them: it cannot
    start without ``MAKKER_DATA_KEYS``."""
    global _keys
    if _keys is None:
        from core.settings import DEV_SECRET_KEY

        _keys = keys_for((), DEV_SECRET_KEY)
    return _keys


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest with the current data key; plain ``str`` in Python."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return current_keys().encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return current_keys().decrypt(value)

    def process_literal_param(self, value: Any, dialect: Any) -> str:
        raise NotImplementedError("an encrypted column has no SQL literal")
