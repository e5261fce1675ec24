"""Password hashing (argon2id) and the password rules enforced in production."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~0.1 s per hash on a
# small 2-core appliance. The library default (64 MiB, 3 passes, 4 lanes) took ~0.5 s there,
# which made every login a 64 MiB, half-second job that a burst of logins could stack up.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
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


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if password_hash.startswith(_BCRYPT_PREFIXES):
        return _verify_bcrypt(password_hash, password)
    try:
        return _HASHER.verify(password_hash, password)
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


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash uses other parameters than today's (rehash it at the next login)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
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
