"""Every row of both scenario tables in seeds/meeting-api-security-enhancements.md, over real HTTP.

For each row the account's Waiting Room / passcode / authentication settings and locks are set through the admin
API (every variant the row's wording allows), the meeting is created (or created unlocked, then updated), and
`GET /meetings/{id}` must show what the row's "Result" column says.  Data: tests/zoom/simulator/scenario_tables.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.zoom.simulator import SimulatorServer
from tests.zoom.simulator.helpers import admin, client
from tests.zoom.simulator.scenario_tables import (
    CREATE,
    DEFAULT,
    GEN,
    GIVEN,
    NONE,
    OPTION,
    PASSWORD,
    PREV,
    PREV_PASSWORD,
    PREVIOUS,
    REQUESTS,
    UPDATE,
    Case,
    Row,
    expand,
)

DEFAULT_OPTION = "signIn_D8cJuqWVQ623CI4Q8yQK0Q"
NAMES = {"W": "waiting_room", "P": "passcode", "A": "authentication"}


def _params(table: list[Row], kind: str) -> list[Any]:
    params = []
    for row in table:
        keys = sorted(row.settings)
        for variant in itertools.product(*(expand(row.settings[k]) for k in keys)):
            settings = dict(zip(keys, variant, strict=True))
            label = ",".join(f"{k}={'on' if on else 'off'}{'+lock' if locked else ''}"
                             for k, (on, locked) in settings.items())
            for case in row.cases:
                case_id = f"{kind}-S{row.number:02d}-{label}-{case.request}" + (
                    f"-from-{case.previous}" if case.previous else "")
                params.append(pytest.param(row, settings, case, id=case_id))
    return params


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    # One server for the whole table; each test resets the account settings it depends on.
    with SimulatorServer({"daily_meeting_write_limit": 1_000_000, "join_delay_seconds": 0}) as server:
        yield server


@pytest.fixture(scope="module")
def api(sim: SimulatorServer) -> Iterator[httpx.Client]:
    with client(sim) as c:
        yield c


def _set_security(sim: SimulatorServer, settings: dict[str, tuple[bool, bool]]) -> None:
    security = {name: {"enabled": False, "locked": False} for name in NAMES.values()}
    for key, (enabled, locked) in settings.items():
        security[NAMES[key]] = {"enabled": enabled, "locked": locked}
    admin(sim, "PATCH", "accounts/sim-account", {"security": security})


def _check(meeting: dict[str, Any], row: Row, case: Case, context: str) -> None:
    why = f"{context} scenario {row.number} ({row.wording}), request {case.request}"
    settings = meeting["settings"]
    password = meeting.get("password", "")
    expect = case.expect
    if expect.password == GIVEN:
        assert password == PASSWORD, why
    elif expect.password == PREV:
        assert password == PREV_PASSWORD, why
    elif expect.password == GEN:
        assert password and password not in (PASSWORD, PREV_PASSWORD) and len(password) <= 10, why
    elif expect.password == NONE:
        assert password == "", why
    if expect.waiting_room is not None:
        assert settings["waiting_room"] is expect.waiting_room, why
    if expect.auth is False:
        assert settings["meeting_authentication"] is False, why
    elif expect.auth is not None:
        assert settings["meeting_authentication"] is True, why
        wanted = DEFAULT_OPTION if expect.auth == DEFAULT else OPTION
        assert settings["authentication_option"] == wanted, why
    # "secure with one security option": whatever happens, the meeting ends up with at least one.
    assert password or settings["waiting_room"] or settings["meeting_authentication"], why
    # join_url carries Zoom's encrypted token, never the passcode itself.
    if password:
        assert "pwd=" in meeting["join_url"] and password not in meeting["join_url"], why
    else:
        assert "pwd=" not in meeting["join_url"], why


@pytest.mark.parametrize(("row", "settings", "case"), _params(CREATE, "create"))
def test_create_scenario(sim: SimulatorServer, api: httpx.Client, row: Row, settings: dict[str, Any],
                         case: Case) -> None:
    _set_security(sim, settings)
    created = api.post("/users/me/meetings", json={"topic": f"S{row.number}", **REQUESTS[case.request]})
    assert created.status_code == 201, created.text
    _check(created.json(), row, case, "create response")
    fetched = api.get(f"/meetings/{created.json()['id']}").json()
    _check(fetched, row, case, "GET after create")


@pytest.mark.parametrize(("row", "settings", "case"), _params(UPDATE, "update"))
def test_update_scenario(sim: SimulatorServer, api: httpx.Client, row: Row, settings: dict[str, Any],
                         case: Case) -> None:
    _set_security(sim, {})  # the meeting was created before the admin changed the locks
    assert case.previous is not None
    created = api.post("/users/me/meetings", json={"topic": f"U{row.number}", **PREVIOUS[case.previous]})
    assert created.status_code == 201, created.text
    _set_security(sim, settings)
    meeting_id = created.json()["id"]
    updated = api.patch(f"/meetings/{meeting_id}", json=REQUESTS[case.request])
    assert updated.status_code == 204 and updated.content == b"", updated.text
    _check(api.get(f"/meetings/{meeting_id}").json(), row, case, "GET after update")


def test_tables_cover_every_row() -> None:
    assert [r.number for r in CREATE] == list(range(1, 24))
    assert [r.number for r in UPDATE] == list(range(1, 24))
