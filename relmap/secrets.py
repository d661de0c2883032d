"""Secrets come from the environment only: a mapping says ``${OUTSMART_TOKEN}`` and the run reads that variable."""

from __future__ import annotations

import re
from collections.abc import Mapping

from relmap.errors import ConfigError

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def resolve(value: str | None, setting: str, environ: Mapping[str, str], mapping: str) -> str:
    """The value of a setting with every ``${VAR}`` replaced; a missing variable is a ConfigError naming it."""
    if not value:
        raise ConfigError(f"{mapping}: {setting} is not set")
    missing = [name for name in _REFERENCE.findall(value) if not environ.get(name)]
    if missing:
        names = ", ".join(missing)
        raise ConfigError(
            f"{mapping}: {setting} needs the environment variable {names}, which is not set "
            f"(export {missing[0]}=... before the run, or try --sandbox)"
        )
    return _REFERENCE.sub(lambda m: environ[m.group(1)], value)
