"""An offline emulator of the Wix Loyalty REST API and the Wix Async Job API.

The names below are the public surface. They load on first use, so importing the
package (as the pytest plugin does in every test run) does not import starlette.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import EmulatorClient, EmulatorError, InProcessTransport
    from .clock import Clock, ManualClock, SystemClock
    from .errors import WixError
    from .rest.app import create_app
    from .settings import Settings
    from .store import Store
    from .testing import EmulatorServer

__all__ = [
    "Clock",
    "EmulatorClient",
    "EmulatorError",
    "EmulatorServer",
    "InProcessTransport",
    "ManualClock",
    "Settings",
    "Store",
    "SystemClock",
    "WixError",
    "create_app",
]
__version__ = "0.1.0"

_MODULES = {
    "Clock": ".clock",
    "EmulatorClient": ".client",
    "EmulatorError": ".client",
    "EmulatorServer": ".testing",
    "InProcessTransport": ".client",
    "ManualClock": ".clock",
    "Settings": ".settings",
    "Store": ".store",
    "SystemClock": ".clock",
    "WixError": ".errors",
    "create_app": ".rest.app",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'emulator' has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
