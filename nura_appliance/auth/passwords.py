"""Password hashing (argon2id) and the password rules enforced in production."""

from __future__ import annotations

import functools
import secrets
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

if TYPE_CHECKING:
    from nura_appliance.settings import Settings

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~0.1 s per hash on a
# small 2-core appliance. The library default (64 MiB, 3 passes, 4 lanes) took ~0.5 s there,
# which made every login a 64 MiB, half-second job that a burst of logins could stack up.
# PASSWORD_HASH_MEMORY_KIB / PASSWORD_HASH_TIME_COST change them (the test suite lowers them;
# APP_ENV=production refuses anything below these, auth/production.py).
TIME_COST = 2
MEMORY_KIB = 19_456


@functools.cache
def hasher(time_cost: int = TIME_COST, memory_kib: int = MEMORY_KIB) -> PasswordHasher:
    """The argon2id hasher for these parameters (one lane), one per process and parameter set."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def settings_hasher(settings: Settings) -> PasswordHasher:
    """The hasher of ``PASSWORD_HASH_TIME_COST`` and ``PASSWORD_HASH_MEMORY_KIB``."""
    return hasher(int(settings.password_hash_time_cost), int(settings.password_hash_memory_kib))


_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_COMMON = {
    "password",
    "password1",
    "password123",
    "123456789012",
    "qwertyuiopas",
    "iloveyou1234",
    "admin1234567",
    "changeme1234",
    "letmein12345",
    "welcome12345",
    "administrator",
    "passwordpassword",
    "qwerty123456",
    "111111111111",
    "000000000000",
    "123123123123",
    "abc123abc123",
    "nura12345678",
    "change-me",
}


def hash_password(password: str, using: PasswordHasher | None = None) -> str:
    """An argon2id hash of ``password`` (``using``: a :func:`settings_hasher`; default the
    production parameters)."""
    return (using or hasher()).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; the parameters are read from the hash itself."""
    if password_hash.startswith(_BCRYPT_PREFIXES):
        return _verify_bcrypt(password_hash, password)
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _verify_bcrypt(password_hash: str, password: str) -> bool:
    """A bcrypt hash imported from the original NURA (``nura import-original``). Accepted so that
    agents keep their passwords; :func:`needs_rehash` is true for it, so the first login stores
    an argon2id hash instead. bcrypt reads at most 72 bytes of a password (the original's library
    cut longer ones silently), so the same prefix is compared."""
    import bcrypt

    try:
        return bool(bcrypt.checkpw(password.encode("utf-8")[:72], password_hash.encode("ascii")))
    except (ValueError, UnicodeEncodeError):
        return False


def needs_rehash(password_hash: str, using: PasswordHasher | None = None) -> bool:
    """Whether a stored hash uses other parameters than ``using``'s (default the production
    ones): rehash it at the next login."""
    try:
        return (using or hasher()).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_problem(password: str, username: str, *, strict: bool) -> str | None:
    """Why ``password`` is not acceptable, or None. ``strict`` applies the production rules."""
    if not password:
        return "the password is empty"
    if len(password) > 256:
        return "the password is longer than 256 characters"
    if not strict:
        return None
    if len(password) < 12:
        return "use at least 12 characters"
    if password.casefold() == username.casefold() or username.casefold() in password.casefold():
        return "the password must not contain the username"
    if password.casefold() in _COMMON or len(set(password)) < 4:
        return "this password is too common"
    return None


def generate_password() -> str:
    return secrets.token_urlsafe(15)
