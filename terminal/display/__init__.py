"""The worker's display at the gate: what to do now, in large type, served on localhost for a
kiosk browser. ``state`` is what the gate writes to; ``server`` serves it (and imports the web
framework, so the gate loads it only when the display is enabled)."""

from terminal.display.state import DisplayState, Screen

__all__ = ["DisplayState", "Screen"]
