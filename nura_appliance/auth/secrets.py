"""No shared default secrets: the API key and the token-signing key are generated per install.

``nura init`` and the first start write a random ``API_KEY`` and ``ADMIN_SECRET_KEY`` into
``DATA_DIR/secrets.toml`` (mode 0600) unless they are configured; :func:`load_settings` reads that
file below ``nura.toml`` and the environment. The placeholders earlier releases published
(``change-me-api-key``, ``change-me-secret-key``) are refused in every mode: anyone who read the
README could otherwise sign in as admin on a development or staging install.

How strong a secret is, is judged by an estimate of its entropy (:func:`entropy_bits`), not by
its length: ``Password123456789012345678`` is 26 characters but a word and two digit runs.
"""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path

from nura_appliance.errors import ConfigError
from nura_appliance.private import private_dir
from nura_appliance.settings import SECRETS_FILE, Settings

GENERATED = ("API_KEY", "ADMIN_SECRET_KEY")
PLACEHOLDERS = {"API_KEY": "change-me-api-key", "ADMIN_SECRET_KEY": "change-me-secret-key"}
# Bits an attacker must guess at least (token_urlsafe(32), which we generate, has 256).
MIN_BITS = {"API_KEY": 96, "ADMIN_SECRET_KEY": 128, "CUSTOMER_HMAC_SECRET": 96}
_WORDS = (
    "password",
    "passwort",
    "change-me",
    "changeme",
    "secret",
    "example",
    "default",
    "letmein",
    "qwerty",
    "azerty",
    "welcome",
    "admin",
    "nura",
    "test",
    "token",
    "key",
    "api",
    "root",
    "login",
    "master",
    "dragon",
    "monkey",
    "iloveyou",
)


def _pool(value: str) -> int:
    size = 0
    if any(c.islower() and c.isascii() for c in value):
        size += 26
    if any(c.isupper() and c.isascii() for c in value):
        size += 26
    if any(c.isdigit() and c.isascii() for c in value):
        size += 10
    if any(not c.isascii() for c in value):
        size += 100
    if any(c.isascii() and not c.isalnum() for c in value):
        size += 33
    return max(size, 2)


def _run_length(value: str, i: int) -> int:
    """Length of the run of repeated or consecutive characters (``aaaa``, ``1234``, ``fedc``) at ``i``."""
    if i + 1 >= len(value):
        return 1
    step = ord(value[i + 1]) - ord(value[i])
    if step not in (-1, 0, 1):
        return 1
    end = i + 1
    while end + 1 < len(value) and ord(value[end + 1]) - ord(value[end]) == step:
        end += 1
    return end - i + 1


def _repeat_length(value: str, i: int) -> int:
    """Length of the longest piece (4+ characters) at ``i`` that already occurred before ``i``."""
    best = 0
    length = 4
    while i + length <= len(value) and value[i : i + length] in value[:i]:
        best = length
        length += 1
    return best


def entropy_bits(value: str) -> float:
    """A conservative estimate of how many bits an attacker has to guess.

    Each character costs ``log2(pool)`` bits (the pool is the character classes the value uses),
    except for what guessers try first, which costs a few bits per piece: common words
    (case-folded), runs of one repeated or consecutive characters, and pieces repeated from earlier
    in the value."""
    per_char = math.log2(_pool(value))
    lowered = value.casefold()
    bits = 0.0
    i = 0
    while i < len(value):
        word = next((w for w in _WORDS if lowered.startswith(w, i)), None)
        if word is not None:
            bits += math.log2(len(_WORDS)) + 1  # which word, and its capitalisation
            i += len(word)
            continue
        repeat = _repeat_length(value, i)
        if repeat:
            bits += math.log2(max(i, 2)) + math.log2(repeat)  # where it came from, how long
            i += repeat
            continue
        run = _run_length(value, i)
        if run >= 3:
            bits += per_char + math.log2(run) + 1  # first character, length, direction
            i += run
            continue
        bits += per_char
        i += 1
    return bits


def secret_problem(value: str, name: str) -> str | None:
    """Why ``value`` must not be used as the secret ``name``, or None."""
    if not value:
        return f"{name} is empty"
    if value == PLACEHOLDERS.get(name):
        return f"{name} is still the published placeholder {value!r}"
    bits = entropy_bits(value)
    if bits < MIN_BITS.get(name, 96):
        return f"{name} is too easy to guess (about {bits:.0f} bits; at least {MIN_BITS.get(name, 96)} needed)"
    return None


def refuse_placeholders(settings: Settings) -> None:
    """Raise :class:`ConfigError` when a published placeholder is configured, in every mode."""
    problems = [
        f"{name} is the published placeholder {PLACEHOLDERS[name]!r}: remove it to have a random one "
        f"generated into {SECRETS_FILE} in the data dir, or set a random value "
        "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        for name in GENERATED
        if settings.get(name) == PLACEHOLDERS[name]
    ]
    if problems:
        raise ConfigError("refusing to start:\n  - " + "\n  - ".join(problems))


def _write_private(path: Path, text: str) -> bool:
    """Create ``path`` with mode 0600 (whatever the umask) unless it exists; True when written."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def ensure_secrets(settings: Settings) -> Settings:
    """``settings`` with a generated ``API_KEY``/``ADMIN_SECRET_KEY`` for each one left empty.

    The generated values are written once into ``DATA_DIR/secrets.toml`` (0600) and read back by
    every later start (and by every worker: the first writer wins, the others read its file)."""
    refuse_placeholders(settings)
    missing = [name for name in GENERATED if not settings.get(name)]
    if not missing:
        return settings
    folder = private_dir(settings.data_dir)
    path = folder / SECRETS_FILE
    existing = _read(path)
    new = {name: existing.get(name) or secrets.token_urlsafe(32) for name in GENERATED}
    body = (
        "# Generated by NURA on first start: the legacy API key (admin scope) and the key that signs\n"
        "# staff access tokens. Keep this file private (mode 0600); values set in nura.toml or the\n"
        "# environment take precedence.\n" + "".join(f'{name} = "{new[name]}"\n' for name in GENERATED)
    )
    try:
        if not existing and not _write_private(path, body):
            existing = _read(path)  # another worker wrote it first: use its values
            new = {name: existing.get(name) or new[name] for name in GENERATED}
        elif existing and any(name not in existing for name in GENERATED):
            tmp = path.with_suffix(".tmp")
            tmp.unlink(missing_ok=True)
            _write_private(tmp, body)
            os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path} ({exc.strerror or exc}): make the data dir writable or set API_KEY and "
            "ADMIN_SECRET_KEY yourself"
        ) from None
    updated = settings.replace(**{name: new[name] for name in missing})
    for name in missing:
        updated.origins[name] = SECRETS_FILE
    return updated


def _read(path: Path) -> dict[str, str]:
    import tomllib

    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return {k: str(v) for k, v in values.items() if k in GENERATED and v}
