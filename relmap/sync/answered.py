"""When Silvasoft last answered a request with 200: the proof that the user name and API key still work.

A run with nothing to write sends Silvasoft nothing, so a wrong or revoked key would go unnoticed for as long as
nothing changes in OutSmart. Every successful answer's time is kept in the state (meta ``silvasoft_answered_at``)
by the commands that talk to Silvasoft (run, run --dry-run, check), and a run that finds it a day old says so.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from typing import Any

import requests

from relmap.errors import StateError
from relmap.http import HttpClient
from relmap.state.store import State

META_KEY = "silvasoft_answered_at"
DAY = 24 * 3600.0


class AnsweredHttp(HttpClient):
    """An HttpClient that remembers when its API last answered 200 (``answered_at``, None: not in this run)."""

    answered_at: float | None = None

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Iterable[tuple[str, str]] | Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        response = super().send(method, path, params=params, json=json, headers=headers, stream=stream)
        if response.status_code == 200:
            self.answered_at = time.time()
        return response


def remember(state: State, at: float | None) -> None:
    """Keep this run's last successful answer; a read-only state (a dry run) or a broken one keeps nothing: this
    runs on the way out of an error too, which must stay the error reported."""
    if at is None or state.read_only:
        return
    with contextlib.suppress(StateError):
        state.set_meta(META_KEY, f"{at:.3f}")


def last(state: State) -> float | None:
    """The last successful answer a run recorded; None if none ever was (or the value was edited into nonsense)."""
    try:
        text = state.get_meta(META_KEY)
        return float(text) if text else None
    except (StateError, ValueError):
        return None


def overdue(state: State, answered_now: float | None, now: float) -> bool:
    """Whether no Silvasoft request has succeeded in this run nor in the day before it."""
    if answered_now is not None:
        return False
    before = last(state)
    return before is None or now - before >= DAY
