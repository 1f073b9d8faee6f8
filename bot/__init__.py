"""roombot: dispatch Zoom Rooms into meetings from Slack."""

__version__ = "0.1.0"
