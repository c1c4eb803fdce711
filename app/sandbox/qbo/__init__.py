"""A faithful QuickBooks Online stand-in on 127.0.0.1 for --demo and the integration tests."""

from app.sandbox.qbo.clock import SandboxClock
from app.sandbox.qbo.faults import FaultSwitches
from app.sandbox.qbo.server import QboSandbox
from app.sandbox.qbo.throttle import Limits

__all__ = ["FaultSwitches", "Limits", "QboSandbox", "SandboxClock"]
