"""Passcodes at rest: Fernet encryption keyed by ``ROOMBOT_SECRET_KEY``.

``ROOMBOT_SECRET_KEY`` may be

* a Fernet key (44 url-safe base64 characters, e.g. from ``python -c "from cryptography.fernet import
  Fernet; print(Fernet.generate_key().decode())"``) — used as is; or
* any other passphrase (at least 16 characters) — stretched into a Fernet key with PBKDF2-HMAC-SHA256,
  600,000 iterations (OWASP's 2023 figure), and a fixed, application-specific salt.  The salt is fixed
  because there is nowhere safe to keep a random one before the database is readable; a passphrase
  therefore has to be long and unique, which is why short ones are refused.

Ciphertexts are stored through :class:`SealedType`, a column type that only accepts :class:`Sealed`
values.  Assigning a ``str`` to an encrypted column raises ``TypeError`` at flush time, so a plaintext
passcode can never reach the database by accident.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from sqlalchemy import Dialect, String, Text
from sqlalchemy.types import TypeDecorator

from bot.config_errors import ConfigError

SECRET_KEY_VARIABLE = "ROOMBOT_SECRET_KEY"
PASSPHRASE_MIN_LENGTH = 16
PBKDF2_ITERATIONS = 600_000
# Changing the salt would make every stored passcode unreadable: it is part of the storage format.
PBKDF2_SALT = b"roombot/passcodes-at-rest/v1"


class SecretKeyMismatch(RuntimeError):
    """A stored ciphertext does not open with the configured key (the key was changed or is wrong)."""

    def __init__(self) -> None:
        super().__init__(
            f"a stored passcode cannot be decrypted with the current {SECRET_KEY_VARIABLE}; "
            "it was encrypted with a different key (restore the old key, or ask the requester for the passcode again)"
        )


@dataclass(frozen=True, slots=True)
class Sealed:
    """An encrypted passcode (a Fernet token).  ``repr`` never shows the token, to keep logs short."""

    token: str

    def __repr__(self) -> str:
        return "Sealed(<encrypted>)"


def _as_fernet_key(secret: str) -> bytes | None:
    """``secret`` as a Fernet key if it already is one, else None."""
    try:
        raw = base64.urlsafe_b64decode(secret.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return secret.encode("ascii") if len(raw) == 32 and len(secret) == 44 else None


@functools.lru_cache(maxsize=8)
def derive_fernet_key(secret: str) -> bytes:
    """The Fernet key for ``ROOMBOT_SECRET_KEY`` (a Fernet key itself, or a passphrase to stretch).

    Cached because PBKDF2 deliberately costs a few hundred milliseconds.
    """
    secret = secret.strip()
    if not secret:
        raise ConfigError(SECRET_KEY_VARIABLE, "is empty; set it to a Fernet key or a passphrase of 16+ characters")
    fernet_key = _as_fernet_key(secret)
    if fernet_key is not None:
        return fernet_key
    if len(secret) < PASSPHRASE_MIN_LENGTH:
        raise ConfigError(
            SECRET_KEY_VARIABLE,
            f"is too short for a passphrase (need {PASSPHRASE_MIN_LENGTH}+ characters) and is not a Fernet key; "
            "generate one with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"',
        )
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=PBKDF2_SALT, iterations=PBKDF2_ITERATIONS)
    return base64.urlsafe_b64encode(kdf.derive(secret.encode("utf-8")))


class SecretBox:
    """Encrypts and decrypts passcodes.

    ``SecretBox(key)`` encrypts with ``key``; extra ``previous_keys`` are tried when decrypting so that a
    key can be rotated (re-seal with :meth:`rotate`).
    """

    def __init__(self, key: str | bytes, *previous_keys: str | bytes) -> None:
        keys = [derive_fernet_key(k.decode("ascii") if isinstance(k, bytes) else k) for k in (key, *previous_keys)]
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    @classmethod
    def from_key(cls, value: str | None) -> SecretBox:
        """The box for ``ROOMBOT_SECRET_KEY``'s value (``Settings.secret_key``); a one-line ``ConfigError``
        naming the variable when it is missing."""
        if not value or not value.strip():
            raise ConfigError(
                SECRET_KEY_VARIABLE,
                "is not set; it encrypts stored meeting passcodes. Set it to a Fernet key "
                '(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") '
                "or a passphrase of 16+ characters, and keep it: changing it makes stored passcodes unreadable",
            )
        return cls(value)

    def seal(self, passcode: str) -> Sealed:
        return Sealed(self._fernet.encrypt(passcode.encode("utf-8")).decode("ascii"))

    def open(self, sealed: Sealed) -> str:
        try:
            return self._fernet.decrypt(sealed.token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretKeyMismatch() from None

    def seal_optional(self, passcode: str | None) -> Sealed | None:
        return None if passcode is None else self.seal(passcode)

    def open_optional(self, sealed: Sealed | None) -> str | None:
        return None if sealed is None else self.open(sealed)

    def rotate(self, sealed: Sealed) -> Sealed:
        """Re-encrypt ``sealed`` under the current (first) key."""
        try:
            return Sealed(self._fernet.rotate(sealed.token.encode("ascii")).decode("ascii"))
        except InvalidToken:
            raise SecretKeyMismatch() from None


class SealedType(TypeDecorator[Sealed]):
    """A column holding a Fernet token.  Only :class:`Sealed` values are accepted — never a plain string."""

    impl = String(500)  # a Fernet token of a 10-character passcode is 100 characters; leave room
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Sealed):
            raise TypeError(
                f"refusing to store a {type(value).__name__} in an encrypted column; "
                "seal it with SecretBox.seal() first"
            )
        return value.token

    def process_result_value(self, value: str | None, dialect: Dialect) -> Sealed | None:
        return None if value is None else Sealed(value)


class LongSealedType(SealedType):
    """A Fernet token of something longer than a passcode (a Teams join link runs to hundreds of characters)."""

    impl = Text()
    cache_ok = True
