"""Settings.from_env: defaults, validation, one-line errors naming the variable, secrets kept out of repr."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_DATABASE_URL, DEFAULT_SLACK_API_URL, Settings, redact_url_password
from bot.config_errors import ConfigError

BOT_TOKEN = "xoxb-1111-secret-bot-token"
SIGNING_SECRET = "signing-secret-value-42"
SECRET_KEY = "roombot-secret-key-value"
ZOOM_SECRET = "zoom-client-secret-value"

VALID_ENV = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "ROOMBOT_SECRET_KEY": SECRET_KEY,
    "ZOOM_ACCOUNT_ID": "acct",
    "ZOOM_CLIENT_ID": "client",
    "ZOOM_CLIENT_SECRET": ZOOM_SECRET,
}


def load(env: dict[str, str], *, require_slack: bool = True, require_secret_key: bool = True) -> Settings:
    return Settings.from_env(env, require_slack=require_slack, require_secret_key=require_secret_key)


def without(*names: str, **changes: str) -> dict[str, str]:
    env = {key: value for key, value in VALID_ENV.items() if key not in names}
    env.update(changes)
    return env


def test_defaults_follow_the_spec() -> None:
    settings = load(VALID_ENV)
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL == "https://slack.com/api/"
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///roombot.sqlite3"
    assert settings.port == 3000
    assert settings.admins == frozenset()
    assert settings.slack_app_token is None and not settings.socket_mode
    assert settings.zoom.auth_mode == "s2s"


def test_every_variable_is_read() -> None:
    settings = load(
        without(
            SLACK_APP_TOKEN="xapp-1-abc",
            SLACK_API_URL="http://127.0.0.1:9999/api",
            DATABASE_URL="postgresql+psycopg://bot@db/roombot",
            ROOMBOT_ADMINS=" U012AB3CD, W0ENTERPRISE ,, ",
            PORT="8080",
        )
    )
    assert settings.socket_mode
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"  # slack_sdk needs the trailing slash
    assert settings.database_url == "postgresql+psycopg://bot@db/roombot"
    assert settings.admins == frozenset({"U012AB3CD", "W0ENTERPRISE"})
    assert settings.is_admin("U012AB3CD") and not settings.is_admin("U999") and not settings.is_admin(None)
    assert settings.port == 8080


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        (without("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN"),
        (without("SLACK_SIGNING_SECRET"), "SLACK_SIGNING_SECRET"),
        (without("ROOMBOT_SECRET_KEY"), "ROOMBOT_SECRET_KEY"),
        (without("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"), "ZOOM_ACCOUNT_ID"),
        (without(SLACK_BOT_TOKEN="   "), "SLACK_BOT_TOKEN"),  # blank counts as missing
        (without(SLACK_BOT_TOKEN="xoxp-user-token-secret"), "SLACK_BOT_TOKEN"),
        (without(SLACK_APP_TOKEN="xoxb-not-an-app-token"), "SLACK_APP_TOKEN"),
        (without(SLACK_API_URL="ftp://slack.example/api"), "SLACK_API_URL"),
        (without(DATABASE_URL="my-database.db"), "DATABASE_URL"),
        (without(ROOMBOT_ADMINS="U012AB3CD,@alice"), "ROOMBOT_ADMINS"),
        (without(PORT="http"), "PORT"),
        (without(PORT="0"), "PORT"),
        (without(PORT="70000"), "PORT"),
        (without(PORT="３０００"), "PORT"),  # full-width digits are not a port
        (without(SLACK_CLIENT_ID="123.456", SLACK_CLIENT_SECRET="oauth-secret"), "SLACK_CLIENT_ID"),
        (without(ZOOM_API_KEY="legacy-key", ZOOM_API_SECRET="legacy-secret"), "ZOOM_API_KEY"),
    ],
)
def test_bad_settings_give_one_line_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(env)
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert caught.value.variable == variable
    assert "\n" not in message
    for value in env.values():
        if len(value.strip()) > 6:  # the offending value, secret or not, is never echoed
            assert value.strip() not in message


def test_slack_and_secret_key_can_be_optional() -> None:
    settings = load(without("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ROOMBOT_SECRET_KEY"),
                    require_slack=False, require_secret_key=False)
    assert settings.slack_bot_token is None and settings.secret_key is None


def test_zoom_credentials_can_be_optional() -> None:
    env = without("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
    settings = Settings.from_env(env, require_slack=True, require_secret_key=True, require_zoom=False)
    assert settings.zoom.client_secret is None


def test_repr_hides_secrets_but_shows_what_is_set() -> None:
    settings = load(without(SLACK_APP_TOKEN="xapp-1-app-token-secret",
                            DATABASE_URL="postgresql://bot:db-password-secret@db/roombot"))
    text = repr(settings)
    for secret in (BOT_TOKEN, SIGNING_SECRET, SECRET_KEY, ZOOM_SECRET, "xapp-1-app-token-secret",
                   "db-password-secret"):
        assert secret not in text
        assert secret not in str(settings)
    assert "slack_bot_token='***'" in text
    assert "postgresql://bot:***@db/roombot" in text
    assert set(settings.secrets()) >= {BOT_TOKEN, SIGNING_SECRET, SECRET_KEY, ZOOM_SECRET}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://bot:pw@db:5432/x", "postgresql://bot:***@db:5432/x"),
        ("postgresql://bot@db/x", "postgresql://bot@db/x"),
        ("sqlite:///roombot.sqlite3", "sqlite:///roombot.sqlite3"),
    ],
)
def test_redact_url_password(url: str, expected: str) -> None:
    assert redact_url_password(url) == expected


@pytest.mark.parametrize(("value", "bind"), [(None, "0.0.0.0:3000"), ("127.0.0.1", "127.0.0.1:3000"),
                                             ("::", "[::]:3000"), ("[::1]", "[::1]:3000"),
                                             ("roombot.internal", "roombot.internal:3000")])
def test_host_sets_the_bind_address(value: str | None, bind: str) -> None:
    from bot.cli.serve import gunicorn_options

    environ = dict(VALID_ENV) if value is None else {**VALID_ENV, "HOST": value}
    settings = load(environ)
    assert settings.bind == bind and gunicorn_options(settings, threads=2)["bind"] == bind


def test_a_host_that_is_no_address_stops_start_up_with_one_line() -> None:
    with pytest.raises(ConfigError, match="HOST"):
        load({**VALID_ENV, "HOST": "0.0.0.0; rm -rf /"})
