"""An offline emulator of the Wix Loyalty REST API and the Wix Async Job API."""

from .clock import Clock, ManualClock, SystemClock
from .errors import WixError
from .rest.app import create_app
from .settings import Settings
from .store import Store

__all__ = ["Clock", "ManualClock", "Settings", "Store", "SystemClock", "WixError", "create_app"]
__version__ = "0.1.0"
