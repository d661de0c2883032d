"""Secrets from an env file (``--env-file FILE``, else ``.env`` beside the mapping), for cron's bare environment.

The file holds ``NAME=VALUE`` lines in the dotenv format, read with python-dotenv's parser (quotes, ``export``,
comments, escapes); values are taken as they are written, ``$`` included (no interpolation: a key may hold a ``$``).
Nothing read from the file is ever echoed: a line that cannot be read is reported by its number alone, because the
line may be a secret pasted on its own. A file that every user of the machine may read or write is refused (anyone
could take the keys, or point relmap at a server of theirs); one its group may read or write is read, with a warning.

The environment wins over the file: a variable set in both keeps the environment's value, as docker compose and
python-dotenv have it, so that one run can be given another key without editing a file that root owns. A forgotten
``export`` in a shell would then hide the file's value silently, so a warning names (never shows) such a variable.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv.parser import Binding, parse_stream

from relmap.errors import ConfigError

DEFAULT_NAME = ".env"
MAX_BYTES = 1 << 20  # an env file of secrets is a few hundred bytes; a bigger file is not one
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HIDDEN = "the line is not shown: it may hold a secret"
_values_read: set[str] = set()  # for the last-resort message of a crash (cli.unexpected), which must mask them too


@dataclass(frozen=True)
class EnvFile:
    path: str
    values: dict[str, str]
    warnings: tuple[str, ...] = ()


def find(mapping: str, given: str | None) -> str | None:
    """The env file a command reads: the one given, else ``.env`` beside the mapping if there is one."""
    if given:
        return given
    beside = Path(mapping).parent / DEFAULT_NAME
    return str(beside) if beside.exists() else None


def load(path: str) -> EnvFile:
    """The file's variables, after its permissions are checked; a ConfigError (``FILE:LINE: ...``) otherwise."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(_cannot_open(path, exc)) from None
    try:
        # The mode of the file opened, not of whatever the path names a moment later.
        warnings = _permissions(path, os.fstat(handle).st_mode)
    except BaseException:
        os.close(handle)
        raise
    with os.fdopen(handle, "rb") as stream:
        data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path}: larger than 1 MiB, which no env file of secrets is; relmap has not read it")
    values = _parse(path, _text(path, data))
    _values_read.update(values.values())
    return EnvFile(path, values, tuple(warnings))


def merged(environ: Mapping[str, str], env_file: EnvFile) -> tuple[dict[str, str], list[str]]:
    """The environment over the file's variables, and a warning naming the variables whose values differ."""
    shadowed = sorted(name for name, value in env_file.values.items() if name in environ and environ[name] != value)
    warnings = []
    if shadowed:
        many = len(shadowed) > 1
        warnings.append(
            f"{env_file.path}: {', '.join(shadowed)} {'are' if many else 'is'} also set in the environment, with "
            f"another value; relmap uses the environment's (it wins over the env file): unset "
            f"{'them' if many else 'it'} to use the file's"
        )
    return {**env_file.values, **environ}, warnings


def values_read() -> list[str]:
    """Every value read from an env file by this process (to be masked in a message about a crash)."""
    return sorted(_values_read)


def _cannot_open(path: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such env file"
    if isinstance(exc, IsADirectoryError) or Path(path).is_dir():
        return f"{path}: a folder, not an env file"
    return f"{path}: cannot read the env file: {exc.strerror}"


def _permissions(path: str, mode: int) -> list[str]:
    """Refuse a file everyone may read or write; warn about one its group may."""
    if stat.S_ISDIR(mode):
        raise ConfigError(f"{path}: a folder, not an env file")
    octal = f"{stat.S_IMODE(mode):04o}"
    others = _access(mode & stat.S_IROTH, mode & stat.S_IWOTH)
    if others:
        raise ConfigError(
            f"{path}: the env file is {others} by every user of this machine (mode {octal}), and it holds secrets; "
            f"relmap has not read it: chmod 600 {path}"
        )
    group = _access(mode & stat.S_IRGRP, mode & stat.S_IWGRP)
    if group:
        return [f"{path}: the env file is {group} by its group (mode {octal}); unless that is meant: chmod 600 {path}"]
    return []


def _access(read: int, write: int) -> str:
    return " and ".join(word for word, allowed in (("readable", read), ("writable", write)) if allowed)


def _text(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text ({_HIDDEN})") from None


def _parse(path: str, text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    problems: list[str] = []
    with contextlib.closing(io.StringIO(text)) as stream:
        for binding in parse_stream(stream):
            problem = _problem(binding)
            if problem:
                problems.append(f"{path}:{_line(binding)}: {problem} ({_HIDDEN})")
            elif binding.key is not None and binding.value is not None:
                values[binding.key] = binding.value  # a name given twice keeps its last value, as in a shell
    if problems:
        more = f" (and {len(problems) - 1} more such line{'s' * (len(problems) > 2)})" if len(problems) > 1 else ""
        raise ConfigError(problems[0] + more)
    return values


def _problem(binding: Binding) -> str | None:
    if binding.error:
        return "not a NAME=VALUE line (a space in the name, or an unclosed quote?)"
    if binding.key is None:
        return None  # a blank line or a comment
    if binding.value is None:
        return "no = on this line; write NAME=VALUE"
    if not _NAME.fullmatch(binding.key):
        return "the name before = is not a variable name (letters, digits and _, not starting with a digit)"
    return None


def _line(binding: Binding) -> int:
    """The binding's own line: the parser marks where the blank lines before it began."""
    text = binding.original.string
    return binding.original.line + text[: len(text) - len(text.lstrip())].count("\n")
