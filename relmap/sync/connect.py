"""Settings of a run, resolved once: base URLs (mapping, then RELMAP_*_URL), secrets from the environment, the pace.

Nothing here sends a request; it only builds the clients the run uses, all over one ``requests.Session``.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import requests

from relmap import __version__
from relmap.errors import ConfigError
from relmap.http import HttpClient, Redactor, checked_base_url, is_loopback
from relmap.mapping.compiled import CompiledMapping
from relmap.secrets import resolve
from relmap.sources.outsmart import OutSmartClient
from relmap.targets.budget import VENDOR_PACE, Pace, parse_pace


@dataclass(frozen=True)
class Settings:
    """What a run needs to reach both APIs. ``redact`` masks every secret among these."""

    outsmart_url: str | None
    token: str | None
    software_token: str | None
    silvasoft_url: str
    username: str
    api_key: str
    pace: Pace
    redact: Redactor

    @property
    def target(self) -> str:
        return target_of(self.silvasoft_url, self.username)

    @property
    def former_target(self) -> str:
        return former_target_of(self.silvasoft_url, self.username)


def target_of(silvasoft_url: str, username: str) -> str:
    """Which Silvasoft account a state database and a request ledger belong to (no secret in it).

    The URL and the user name are compared as the account is, not as they are spelled: the host's case, a default
    port, ``.`` segments, doubled or trailing slashes and the user name's case do not make another account (they
    made another ledger, and two mappings on one account spent its hour twice). An emulator on a loopback address
    gets a new port at every start, so there only the path counts."""
    parts = urlsplit(silvasoft_url.strip())
    path = _normal_path(parts.path)
    if is_loopback(parts.hostname or ""):
        where = f"loopback{path}"
    else:
        scheme = parts.scheme.lower()
        port = parts.port if parts.port not in (None, {"https": 443, "http": 80}.get(scheme)) else None
        where = f"{scheme}://{_normal_host(parts.hostname or '')}{f':{port}' if port else ''}{path}"
    # lower(), not casefold(): casefold makes "straße" and "strasse" one name, and they are two users
    return hashlib.sha256(f"{where}\n{username.strip().lower()}".encode()).hexdigest()[:16]


def _normal_host(host: str) -> str:
    """A host as DNS knows it: lower case, no trailing dot, an international name as its ASCII (punycode) form,
    an IPv6 address in brackets and in its one short spelling."""
    host = host.lower().rstrip(".")
    try:
        return f"[{ipaddress.IPv6Address(host).compressed}]"
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def former_target_of(silvasoft_url: str, username: str) -> str:
    """The account as relmap 0.x before this release named it (the URL and user name as written): a state that
    holds it belongs to the same account, and is given the new name on its next write."""
    parts = urlsplit(silvasoft_url)
    where = f"loopback{parts.path}" if is_loopback(parts.hostname or "") else silvasoft_url
    return hashlib.sha256(f"{where}\n{username}".encode()).hexdigest()[:16]


def _normal_path(path: str) -> str:
    """``/rest``, ``/rest/``, ``//rest`` and ``/./rest`` as the one path they reach."""
    segments: list[str] = []
    path = quote(unquote(path), safe="/:@!$&'()*+,;=~")  # %72est is rest; what must stay escaped is escaped alike
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments) if segments else ""


def settings(plan: CompiledMapping, environ: Mapping[str, str], pace: Pace | None = None) -> Settings:
    """Resolve every setting of a run, or raise one ConfigError naming the first missing one."""
    outsmart_url = token = software_token = None
    if plan.source.kind == "outsmart":
        outsmart_url, token, software_token = outsmart_access(plan, environ)
    silvasoft_url, username, api_key = silvasoft_access(plan, environ)
    return Settings(
        outsmart_url,
        token,
        software_token,
        silvasoft_url,
        username,
        api_key,
        pace or pace_of(plan, environ, silvasoft_url),
        Redactor([token, software_token, api_key]),
    )


def outsmart_access(plan: CompiledMapping, environ: Mapping[str, str]) -> tuple[str, str, str]:
    """OutSmart's base URL and both tokens, for a command that reads OutSmart only (ConfigError if one is missing)."""
    url = checked_base_url(environ.get("RELMAP_OUTSMART_URL") or plan.source.base_url or "", "source.outsmart.base_url")
    token = resolve(plan.source.token, "source.outsmart.token", environ, plan.path)
    software_token = resolve(plan.source.software_token, "source.outsmart.software_token", environ, plan.path)
    return url, token, software_token


def silvasoft_access(plan: CompiledMapping, environ: Mapping[str, str]) -> tuple[str, str, str]:
    """Silvasoft's base URL, user name and API key (ConfigError if one is missing or unsafe)."""
    url = checked_base_url(environ.get("RELMAP_SILVASOFT_URL") or plan.target.base_url, "target.silvasoft.base_url")
    username = _header(resolve(plan.target.username, "target.silvasoft.username", environ, plan.path), "username")
    api_key = _header(resolve(plan.target.api_key, "target.silvasoft.api_key", environ, plan.path), "api_key")
    return url, username, api_key


def _header(value: str, setting: str) -> str:
    """Silvasoft's credentials travel as HTTP headers: printable latin-1 text without line breaks."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigError(f"target.silvasoft.{setting}: holds characters an HTTP header cannot carry") from None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value) or value != value.strip():
        raise ConfigError(f"target.silvasoft.{setting}: holds a line break, control character or surrounding space")
    return value


def pace_of(plan: CompiledMapping, environ: Mapping[str, str], silvasoft_url: str) -> Pace:
    """The plan's hourly budget at the vendor's pace, or RELMAP_SILVASOFT_PACE's against a local emulator."""
    per_hour = plan.target.requests_per_hour
    text = environ.get("RELMAP_SILVASOFT_PACE", "").strip()
    if not text:
        return Pace(per_hour, VENDOR_PACE.per_second, VENDOR_PACE.per_minute)
    if not is_loopback(urlsplit(silvasoft_url).hostname or ""):
        raise ConfigError("RELMAP_SILVASOFT_PACE applies to a local emulator only; Silvasoft asks for 2/s and 50/min")
    return parse_pace(text, per_hour)


def session() -> requests.Session:
    new = requests.Session()
    new.headers["User-Agent"] = f"relmap/{__version__}"
    return new


def outsmart_client(settings: Settings, http_session: requests.Session) -> OutSmartClient:
    if settings.outsmart_url is None or settings.token is None or settings.software_token is None:
        raise ConfigError("this mapping does not read from the OutSmart API")
    http = HttpClient(http_session, settings.outsmart_url, settings.redact)
    return OutSmartClient(http, settings.token, settings.software_token)
