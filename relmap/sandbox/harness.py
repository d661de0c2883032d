"""Sandbox: both emulators served on 127.0.0.1, seeded with the shipped samples, optionally kept in a folder."""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

from relmap.sandbox.emulator import Clock
from relmap.sandbox.faults import Faults
from relmap.sandbox.outsmart import BASE_PATH as OUTSMART_PATH
from relmap.sandbox.outsmart import OUTSMART_SOFTWARE_TOKEN, OUTSMART_TOKEN, OutSmartEmulator
from relmap.sandbox.server import EmulatorServer
from relmap.sandbox.silvasoft import BASE_PATH as SILVASOFT_PATH
from relmap.sandbox.silvasoft import SILVASOFT_API_KEY, SILVASOFT_USERNAME, SilvasoftEmulator

CREDENTIALS = {
    "OUTSMART_TOKEN": OUTSMART_TOKEN,
    "OUTSMART_SOFTWARE_TOKEN": OUTSMART_SOFTWARE_TOKEN,
    "SILVASOFT_USERNAME": SILVASOFT_USERNAME,
    "SILVASOFT_API_KEY": SILVASOFT_API_KEY,
}


def sample(name: str) -> list[dict[str, Any]]:
    """The ``response`` list of a shipped sample (``relations`` or ``freefields``), a fresh copy each time."""
    text = resources.files("relmap.sandbox").joinpath("data", f"{name}.json").read_text(encoding="utf-8")
    response: list[dict[str, Any]] = json.loads(text)["response"]
    return response


class Sandbox:
    """The two emulators over real HTTP. ``start()`` returns self; it is also a context manager."""

    def __init__(
        self,
        folder: Path | str | None = None,
        relations: list[dict[str, Any]] | None = None,
        freefields: list[dict[str, Any]] | None = None,
        requests_per_hour: int = 1200,
        per_second: int | None = None,
        per_minute: int | None = None,
        outsmart_faults: Faults | None = None,
        silvasoft_faults: Faults | None = None,
        clock: Clock = time.time,
        outsmart_port: int = 0,
        silvasoft_port: int = 0,
        silvasoft_answer_form: str = "array",
        silvasoft_empty_answer: str | None = None,
    ) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.outsmart = OutSmartEmulator(
            relations if relations is not None else sample("relations"),
            freefields if freefields is not None else sample("freefields"),
            outsmart_faults,
            clock,
        )
        # Silvasoft answers creates and updates in ListRelations' array form by default; see SilvasoftEmulator.
        self.silvasoft = SilvasoftEmulator(
            silvasoft_faults,
            clock,
            requests_per_hour,
            per_second,
            per_minute,
            answer_form=silvasoft_answer_form,
            empty_answer=silvasoft_empty_answer,
        )
        self._servers = (EmulatorServer(self.outsmart, outsmart_port), EmulatorServer(self.silvasoft, silvasoft_port))
        self.credentials = dict(CREDENTIALS)

    @property
    def outsmart_url(self) -> str:
        return self._servers[0].root + OUTSMART_PATH

    @property
    def silvasoft_url(self) -> str:
        return self._servers[1].root + SILVASOFT_PATH

    def start(self) -> Sandbox:
        """Load what the folder holds (if any), then serve; a second start is a no-op."""
        for server in self._servers:
            if self.folder is not None and server.emulator.folder is None:
                server.emulator.attach(self.folder)
            server.start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
            server.emulator.close()

    def reset(self) -> None:
        """Seed relations in OutSmart, nothing in Silvasoft, empty request logs and rate windows; saved too."""
        for emulator in (self.outsmart, self.silvasoft):
            emulator.reset_data()
            emulator.clear_log()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
