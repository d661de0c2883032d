"""Secrets come from the environment: a mapping says ``${OUTSMART_TOKEN}`` and the run reads that variable, which
the environment or an env file (envfile.py, ``--env-file``) sets."""

from __future__ import annotations

import re
from collections.abc import Mapping

from relmap.errors import ConfigError

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD")


def resolve(value: str | None, setting: str, environ: Mapping[str, str], mapping: str) -> str:
    """The value of a setting with every ``${VAR}`` replaced; a missing variable is a ConfigError naming it."""
    if not value:
        raise ConfigError(f"{mapping}: {setting} is not set")
    missing = [name for name in _REFERENCE.findall(value) if not environ.get(name)]
    if missing:
        names = ", ".join(missing)
        raise ConfigError(
            f"{mapping}: {setting} needs the environment variable {names}, which is not set "
            f"(export {missing[0]}=... before the run, put it in an env file given with --env-file FILE, "
            "or try --sandbox)"
        )
    return _REFERENCE.sub(lambda m: environ[m.group(1)], value)


def secret_name(name: str) -> bool:
    """Whether a variable's value is masked wherever relmap cannot know which setting it feeds (a crash's message,
    the run log before the settings are resolved): the APIs' variables, and names that say token, key, ..."""
    upper = name.upper()
    return upper.startswith(("OUTSMART_", "SILVASOFT_")) or any(word in upper for word in _SECRET_WORDS)


def secret_values(environ: Mapping[str, str]) -> list[str]:
    return [value for name, value in environ.items() if secret_name(name)]
