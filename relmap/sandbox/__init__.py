"""Local emulators of the OutSmart and Silvasoft APIs, served over real HTTP on 127.0.0.1 for tests and demos."""

from __future__ import annotations

from relmap.sandbox.faults import Faults
from relmap.sandbox.harness import CREDENTIALS, Sandbox
from relmap.sandbox.outsmart import OutSmartEmulator
from relmap.sandbox.requestlog import LoggedRequest
from relmap.sandbox.silvasoft import SilvasoftEmulator

__all__ = ["CREDENTIALS", "Faults", "LoggedRequest", "OutSmartEmulator", "Sandbox", "SilvasoftEmulator"]
