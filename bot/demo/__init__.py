"""`roombot demo`: the whole bot on loopback (Zoom simulator, temporary SQLite, fake Slack) and a scripted
conversation through the real HTTP endpoint."""
