"""`roombot check`: one ✓/✗ line per dependency, exit 0 only when everything works, never a secret."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot.cli import check
from bot.devtools.fake_slack import FakeSlackApi
from bot.store.migrate import upgrade_to_head
from bot.zoom.simulator import SimulatorServer
from tests.support.processes import SECRET_KEY, SIGNING_SECRET, closed_port, full_env, roombot

NAMES = ["configuration", "secret key", "database", "database schema", "Zoom token", "Zoom rooms", "Slack auth.test"]


@pytest.fixture
def migrated_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    upgrade_to_head(url)
    return url


def run_check(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = check.run(argparse.Namespace(), env)
    return code, capsys.readouterr().out.splitlines()


def test_everything_works(zoom_sim: SimulatorServer, fake_slack: FakeSlackApi, migrated_url: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run_check(full_env(zoom_sim, fake_slack, migrated_url), capsys)
    assert code == 0, lines
    assert [line.split(":")[0] for line in lines[:-1]] == [f"✓ {name}" for name in NAMES]
    assert lines[-1] == "7 of 7 checks passed."
    assert any("4 room(s)" in line for line in lines)
    assert fake_slack.calls("auth.test"), "auth.test was called on the fake Slack API"


def test_a_bad_zoom_secret_is_a_cross_with_a_fix_and_never_printed(
    tmp_path: Path, zoom_sim: SimulatorServer, fake_slack: FakeSlackApi, migrated_url: str
) -> None:
    bad = "wrong-zoom-secret-value"
    result = roombot("check", env=full_env(zoom_sim, fake_slack, migrated_url, ZOOM_CLIENT_SECRET=bad), cwd=tmp_path)
    assert result.returncode == 1
    token_line = next(line for line in result.stdout.splitlines() if line.startswith("✗ Zoom token"))
    assert "fix: " in token_line and "ZOOM_CLIENT_SECRET" in token_line
    assert "✓ Slack auth.test" in result.stdout and "✓ database schema" in result.stdout
    for secret in (bad, SECRET_KEY, SIGNING_SECRET, fake_slack.bot_token):
        assert secret not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_slack_and_schema_problems_are_reported_together(
    tmp_path: Path, zoom_sim: SimulatorServer, fake_slack: FakeSlackApi, capsys: pytest.CaptureFixture[str]
) -> None:
    env = full_env(zoom_sim, fake_slack, f"sqlite:///{tmp_path / 'empty.sqlite3'}", SLACK_BOT_TOKEN="xoxb-revoked")
    code, lines = run_check(env, capsys)
    assert code == 1
    text = "\n".join(lines)
    assert "✗ database schema" in text and "run `roombot migrate`" in text
    assert "✗ Slack auth.test: Slack said invalid_auth — fix: copy SLACK_BOT_TOKEN again" in text
    assert "✓ Zoom rooms" in text
    assert "xoxb-revoked" not in text
    assert lines[-1] == "5 of 7 checks passed; fix the ✗ lines."


def test_missing_configuration_still_checks_the_rest(
    zoom_sim: SimulatorServer, fake_slack: FakeSlackApi, migrated_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = full_env(zoom_sim, fake_slack, migrated_url, SLACK_SIGNING_SECRET="")
    code, lines = run_check(env, capsys)
    assert code == 1
    assert lines[0].startswith("✗ configuration: SLACK_SIGNING_SECRET: missing")
    assert "✓ Zoom token" in "\n".join(lines) and "✓ database schema" in "\n".join(lines)


def test_unreachable_services(tmp_path: Path, zoom_sim: SimulatorServer, fake_slack: FakeSlackApi,
                              capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    env = full_env(zoom_sim, fake_slack, f"postgresql+psycopg://u:db-pw-hidden@127.0.0.1:{port}/x",
                   SLACK_API_URL=f"http://127.0.0.1:{port}/api/", ZOOM_OAUTH_URL=f"http://127.0.0.1:{port}/oauth/token")
    code, lines = run_check(env, capsys)
    text = "\n".join(lines)
    assert code == 1
    assert "✗ database: database unavailable" in text and "db-pw-hidden" not in text
    assert "✗ database schema: not checked" in text
    assert "✗ Zoom token:" in text and "✗ Slack auth.test: cannot reach" in text


# ------------------------------------------------------------------------------------------ --json


def test_json_report_is_one_object_with_every_check(zoom_sim: SimulatorServer, fake_slack: FakeSlackApi,
                                                    migrated_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = check.run(argparse.Namespace(json=True), full_env(zoom_sim, fake_slack, migrated_url))
    out = capsys.readouterr().out
    assert code == 0
    assert len(out.splitlines()) == 1
    report = json.loads(out)
    assert (report["ok"], report["passed"], report["total"]) == (True, 7, 7)
    assert [c["name"] for c in report["checks"]] == NAMES
    assert all(c["ok"] and c["fix"] is None and c["detail"] for c in report["checks"])
    assert "4 room(s)" in next(c["detail"] for c in report["checks"] if c["name"] == "Zoom rooms")


def test_json_report_of_failures_exits_1_with_fixes_and_never_a_secret(
    tmp_path: Path, zoom_sim: SimulatorServer, fake_slack: FakeSlackApi
) -> None:
    bad = "wrong-zoom-secret-value"
    env = full_env(zoom_sim, fake_slack, f"sqlite:///{tmp_path / 'empty.sqlite3'}", ZOOM_CLIENT_SECRET=bad)
    result = roombot("check", "--json", env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] is False and report["passed"] == report["total"] - 3
    assert checks["Zoom token"]["ok"] is False and "ZOOM_CLIENT_SECRET" in checks["Zoom token"]["fix"]
    assert checks["database schema"]["fix"] == "run `roombot migrate` with this DATABASE_URL"
    assert checks["Zoom rooms"]["detail"] == "not checked: no Zoom token"
    assert checks["Slack auth.test"]["ok"] is True and checks["Slack auth.test"]["fix"] is None
    for secret in (bad, SECRET_KEY, SIGNING_SECRET, fake_slack.bot_token):
        assert secret not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_json_report_scrubs_secrets_from_details(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                 zoom_sim: SimulatorServer, fake_slack: FakeSlackApi,
                                                 migrated_url: str) -> None:
    env = full_env(zoom_sim, fake_slack, migrated_url)
    leaky = check.CheckLine("Slack auth.test", False, f"token {env['SLACK_BOT_TOKEN']} refused",
                            f"rotate {env['ROOMBOT_SECRET_KEY']}")
    monkeypatch.setattr(check, "run_checks", lambda environ: [leaky])
    assert check.run(argparse.Namespace(json=True), env) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["checks"] == [{"name": "Slack auth.test", "ok": False, "detail": "token *** refused",
                                          "fix": "rotate ***"}]
