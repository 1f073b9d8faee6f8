"""build_services: the real collaborators wired for one process, and /healthz over real HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from bot.cli import serve as serve_command
from bot.config_errors import ConfigError
from bot.devtools.loopback import LoopbackServer
from bot.dispatch.service import DispatchService
from bot.runtime import build_services, close_services, engine_of
from bot.services import Services
from bot.slack.lane import DEFAULT_LANE_THREADS
from bot.store.crypto import SecretBox
from bot.store.db import DEFAULT_POOL_SIZE, pool_size_for
from bot.web import create_wsgi_app
from bot.zoom import ZoomClient
from bot.zoom.simulator import SimulatorServer
from tests.support.db import MigratedDatabase
from tests.support.processes import closed_port, sim_settings


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """serve(settings, services) -> base URL of create_wsgi_app on loopback; stopped and closed afterwards."""
    started: list[tuple[LoopbackServer, Services]] = []

    def start(settings: Any, services: Services) -> str:
        server = LoopbackServer(create_wsgi_app(settings, services, health_check_timeout=10), name="runtime-test")
        server.start()
        started.append((server, services))
        return server.url

    yield start
    for server, services in started:
        server.stop()
        close_services(services)


def test_serve_with_more_request_threads_gets_a_connection_for_each(zoom_sim: SimulatorServer,
                                                                     migrated_db: MigratedDatabase) -> None:
    # `serve --threads 40`: a type-ahead's options are read by the thread answering it, before the answer, so
    # a pool sized for the default 8 would leave some of them waiting for a connection past Slack's 3 s.
    services = serve_command.build_services(sim_settings(zoom_sim, migrated_db.url), request_threads=40)
    try:
        engine = engine_of(services)
        assert engine is not None
        assert engine.pool.size() == pool_size_for(40) == DEFAULT_POOL_SIZE + 32  # type: ignore[attr-defined]
    finally:
        close_services(services)


def test_the_default_pool_has_a_connection_for_every_thread_that_uses_the_store(
        zoom_sim: SimulatorServer, migrated_db: MigratedDatabase) -> None:
    # A thread that waits for a pooled connection another holds idle would stall its dispatch step; the engine's
    # store and Slack threads, the listener lane, the worker (and its lease timer), /healthz and serve's 8
    # request threads all may hold one at once.
    services = serve_command.build_services(sim_settings(zoom_sim, migrated_db.url))
    try:
        engine, dispatch = engine_of(services), services.engine
        assert engine is not None and dispatch is not None
        users = dispatch.blocking_threads + dispatch.messaging_threads + DEFAULT_LANE_THREADS + 2 + 1 + 8
        assert engine.pool.size() >= users  # type: ignore[attr-defined]
    finally:
        close_services(services)


def test_services_are_wired_from_settings(zoom_sim: SimulatorServer, migrated_db: MigratedDatabase) -> None:
    services = build_services(sim_settings(zoom_sim, migrated_db.url))
    try:
        assert isinstance(services.zoom, ZoomClient) and services.zoom.settings.api_url == zoom_sim.api_url
        assert isinstance(services.dispatcher, DispatchService)
        assert services.dispatcher.zoom.settings is services.zoom.settings  # the async twin, same account
        assert services.engine is not None and services.meetings.zoom is services.dispatcher.zoom
        assert isinstance(services.secret_box, SecretBox)
        assert engine_of(services) is not None and str(engine_of(services).url).startswith(migrated_db.url[:10])
        assert services.meetings.dispatcher is services.dispatcher
        assert set(services.health_checks) == {"database", "zoom"}
        assert services.clock().tzinfo is not None
        # The Slack dispatch surface is installed: /room join is no longer "not available yet".
        assert services.subcommands.get("join") is not None
        assert services.slack_extensions and services.home_sections
    finally:
        close_services(services)
        close_services(services)  # twice is harmless


def test_healthz_is_ok_and_does_not_spend_zoom_calls(
    zoom_sim: SimulatorServer, migrated_db: MigratedDatabase, serve: Callable[..., str]
) -> None:
    settings = sim_settings(zoom_sim, migrated_db.url)
    base = serve(settings, build_services(settings))
    for _ in range(3):
        response = httpx.get(f"{base}/healthz", timeout=15)
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok", "checks": {"database": {"ok": True}, "zoom": {"ok": True}}}
    # One token for three health checks, and no Zoom API call at all: healthz is cheap for Zoom's limits.
    paths = [request["path"] for request in zoom_sim.requests]
    assert paths == ["/oauth/token"]


def test_healthz_503_names_the_database_when_it_is_down(zoom_sim: SimulatorServer, serve: Callable[..., str]) -> None:
    settings = sim_settings(zoom_sim, f"postgresql+psycopg://roombot:pw-not-shown@127.0.0.1:{closed_port()}/roombot")
    base = serve(settings, build_services(settings))
    response = httpx.get(f"{base}/healthz", timeout=30)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"ok": False, "error": "DatabaseUnavailable"}
    assert body["checks"]["zoom"] == {"ok": True}
    assert "pw-not-shown" not in response.text


def test_healthz_503_names_zoom_when_the_credentials_are_wrong(
    zoom_sim: SimulatorServer, migrated_db: MigratedDatabase, serve: Callable[..., str]
) -> None:
    settings = sim_settings(zoom_sim, migrated_db.url)
    settings = dataclasses.replace(settings, zoom=dataclasses.replace(settings.zoom, client_secret="wrong-zoom-secret"))
    base = serve(settings, build_services(settings))
    response = httpx.get(f"{base}/healthz", timeout=15)
    assert response.status_code == 503
    assert response.json()["checks"]["zoom"]["ok"] is False
    assert response.json()["checks"]["database"] == {"ok": True}
    assert "wrong-zoom-secret" not in response.text


def test_a_missing_secret_key_is_a_config_error(zoom_sim: SimulatorServer, tmp_path: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        build_services(sim_settings(zoom_sim, f"sqlite:///{tmp_path / 'x.sqlite3'}", secret_key=None))
    assert str(raised.value).startswith("ROOMBOT_SECRET_KEY")
