"""Fixtures for tests (filled in by the owner of this area)."""
