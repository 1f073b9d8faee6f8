"""zoom_settings_from_env: defaults, ZoomGov by config alone, and one clear line per configuration mistake."""

from __future__ import annotations

import pytest

from bot.config import zoom_settings_from_env
from bot.config_errors import ConfigError
from bot.zoom.settings import ZoomSettings

S2S = {"ZOOM_ACCOUNT_ID": "acct", "ZOOM_CLIENT_ID": "cid", "ZOOM_CLIENT_SECRET": "very-secret-value"}
JWT = {"ZOOM_API_KEY": "key", "ZOOM_API_SECRET": "jwt-secret-value"}


def test_defaults_with_s2s_credentials() -> None:
    settings = zoom_settings_from_env(S2S)
    assert settings.api_url == "https://api.zoom.us/v2"
    assert settings.oauth_url == "https://zoom.us/oauth/token"
    assert settings.rooms_api == "events"
    assert settings.host_user == "me"
    assert settings.auth_mode == "s2s"


def test_zoomgov_and_legacy_options_by_config_alone() -> None:
    settings = zoom_settings_from_env({
        **JWT,
        "ZOOM_API_URL": "https://api.zoomgov.com/v2/",
        "ZOOM_OAUTH_URL": "https://zoomgov.com/oauth/token",
        "ZOOM_ROOMS_API": "JSONRPC",
        "ZOOM_HOST_USER": "host@example.com",
    })
    assert settings.api_url == "https://api.zoomgov.com/v2"
    assert settings.oauth_url == "https://zoomgov.com/oauth/token"
    assert settings.rooms_api == "jsonrpc"
    assert settings.host_user == "host@example.com"
    assert settings.auth_mode == "jwt"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({}, "ZOOM_ACCOUNT_ID"),
        ({"ZOOM_ACCOUNT_ID": "a", "ZOOM_CLIENT_ID": "c"}, "ZOOM_CLIENT_SECRET"),
        ({"ZOOM_CLIENT_ID": "c", "ZOOM_CLIENT_SECRET": "s"}, "ZOOM_ACCOUNT_ID"),
        ({"ZOOM_API_KEY": "k"}, "ZOOM_API_SECRET"),
        ({**S2S, **JWT}, "ZOOM_API_KEY"),
        ({**S2S, "ZOOM_ROOMS_API": "rest"}, "ZOOM_ROOMS_API"),
        ({**S2S, "ZOOM_API_URL": "api.zoom.us/v2"}, "ZOOM_API_URL"),
        ({**S2S, "ZOOM_OAUTH_URL": "ftp://zoom.us/oauth/token"}, "ZOOM_OAUTH_URL"),
        ({**S2S, "ZOOM_CLIENT_SECRET": "   "}, "ZOOM_CLIENT_SECRET"),
    ],
)
def test_config_errors_name_the_variable_in_one_line(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        zoom_settings_from_env(environ)
    text = str(caught.value)
    assert caught.value.variable == variable
    assert text.startswith(f"{variable}: ")
    assert "\n" not in text
    assert isinstance(caught.value, ValueError)
    for secret in ("very-secret-value", "jwt-secret-value"):
        assert secret not in text


def test_credentials_may_be_optional() -> None:
    settings = zoom_settings_from_env({}, require_credentials=False)
    with pytest.raises(ConfigError):
        settings.auth_mode  # noqa: B018 - the property raises when asked for a mode


def test_repr_hides_secrets() -> None:
    settings = zoom_settings_from_env(S2S)
    assert "very-secret-value" not in repr(settings)
    assert "jwt-secret-value" not in repr(zoom_settings_from_env(JWT))
    assert set(settings.secrets()) == {"very-secret-value"}


def test_qps_per_category() -> None:
    settings = ZoomSettings(qps_light=7, qps_medium=3, qps_heavy=1)
    assert settings.qps_for("Light") == 7
    assert settings.qps_for("medium") == 3
    assert settings.qps_for("Resource-intensive") == 1
