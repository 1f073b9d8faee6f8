"""``ThirdPartyJoin`` shapes and the pure request builder for ``zoomroom.thirdparty_meeting_join`` (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.zoom import Room, ThirdPartyJoin, ZoomSettings, ZoomUnsupported
from bot.zoom.auth import provider_for
from bot.zoom.control import _EventsProtocol, _JsonRpcProtocol, third_party_params, third_party_secrets
from bot.zoom.errors import redact
from bot.zoom.ratelimit import MEDIUM, CategoryRateLimiter
from bot.zoom.transport import TransportPolicy

LINK = "https://teams.microsoft.com/meet/219137232612292?p=lu3d1SdNShj6ak9H0S"
ROOM = Room(id="Zr1", room_id="qMOL", name="Boardroom", status="Available")


def policy() -> TransportPolicy:
    settings = ZoomSettings(account_id="a", client_id="c", client_secret="s3cr3t-value")
    return TransportPolicy(settings, provider_for(settings, None), CategoryRateLimiter.for_settings(settings))


@pytest.mark.parametrize("kwargs", [
    {"join_type": "url", "source": "MS_TEAMS", "join_url": LINK},
    {"join_type": "url", "source": "GOOGLE_MEET", "join_url": "https://meet.google.com/abc-defg-hij"},
    {"join_type": "meeting_id", "source": "MS_TEAMS", "meeting_id": "219137232612292", "passcode": "hb9VA7oG"},
    {"join_type": "meeting_id", "source": "GOOGLE_MEET", "meeting_id": "abc-defg-hij"},
    {"join_type": "meeting_id", "source": "GOOGLE_MEET", "meeting_id": "abc-defg-hij", "passcode": "x1"},
    {"join_type": "sip", "sip_address": "sip:24357724034@ietf.webex.com"},
])
def test_valid_shapes(kwargs: dict[str, Any]) -> None:
    assert ThirdPartyJoin(**kwargs).join_type == kwargs["join_type"]


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"join_type": "zoom"}, "join_type must be one of"),
    ({"join_type": "url", "source": "WEBEX", "join_url": LINK}, "source must be one of"),
    ({"join_type": "url", "join_url": LINK}, "needs source"),
    ({"join_type": "url", "source": "MS_TEAMS"}, "needs join_url"),
    ({"join_type": "url", "source": "MS_TEAMS", "join_url": ""}, "needs join_url"),
    ({"join_type": "url", "source": "MS_TEAMS", "join_url": LINK, "passcode": "hb9VA7oG"}, "does not take passcode"),
    ({"join_type": "url", "source": "MS_TEAMS", "join_url": LINK, "meeting_id": "219137232612292"},
     "does not take meeting_id"),
    ({"join_type": "meeting_id", "source": "MS_TEAMS", "meeting_id": "219137232612292"},
     "Teams 'meeting_id' join needs passcode"),
    ({"join_type": "meeting_id", "meeting_id": "219137232612292", "passcode": "p"}, "needs source"),
    ({"join_type": "meeting_id", "source": "GOOGLE_MEET"}, "needs meeting_id"),
    ({"join_type": "meeting_id", "source": "GOOGLE_MEET", "meeting_id": "a", "join_url": LINK},
     "does not take join_url"),
    ({"join_type": "sip"}, "needs sip_address"),
    ({"join_type": "sip", "source": "MS_TEAMS", "sip_address": "a@b"}, "'sip' join does not take source"),
    ({"join_type": "sip", "sip_address": 5}, "must be a string"),
])
def test_invalid_shapes_are_value_errors_without_values(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words) as caught:
        ThirdPartyJoin(**kwargs)
    for secret in ("lu3d1SdNShj6ak9H0S", "hb9VA7oG"):
        assert secret not in str(caught.value)


def test_repr_hides_passcode_link_query_and_sip_user() -> None:
    joins = [ThirdPartyJoin("url", "MS_TEAMS", join_url=LINK),
             ThirdPartyJoin("meeting_id", "MS_TEAMS", meeting_id="219137232612292", passcode="hb9VA7oG"),
             ThirdPartyJoin("sip", sip_address="sip:813878896.774411@t.plcm.vc")]
    text = " ".join(repr(j) for j in joins)
    for secret in ("lu3d1SdNShj6ak9H0S", "p=", "hb9VA7oG", "774411"):
        assert secret not in text
    assert "https://teams.microsoft.com/meet/219137232612292?[redacted]" in text
    assert "meeting_id='219137232612292'" in text and "passcode=<set>" in text
    assert "sip:[redacted]@t.plcm.vc" in text
    assert joins[0] == ThirdPartyJoin("url", "MS_TEAMS", join_url=LINK)  # still a value object


def test_builder_sends_only_the_join_types_keys_as_a_non_idempotent_medium_call() -> None:
    control = _EventsProtocol(policy())
    request = control.third_party_join_request(ROOM, ThirdPartyJoin("meeting_id", "GOOGLE_MEET",
                                                                    meeting_id="abc-defg-hij"))
    call = request.call
    assert (call.method, call.path, call.category, call.idempotent) == ("PATCH", "/rooms/qMOL/events", MEDIUM, False)
    assert call.json == {"method": "zoomroom.thirdparty_meeting_join",
                         "params": {"join_type": "meeting_id", "meeting_source_type": "GOOGLE_MEET",
                                    "third_party_meeting_id": "abc-defg-hij"}}
    assert request.method == "zoomroom.thirdparty_meeting_join" and request.room_id == "qMOL"
    assert control.third_party_join_request(ROOM, ThirdPartyJoin("sip", sip_address="a@b.c"),
                                            field="id").call.path == "/rooms/Zr1/events"


def test_jsonrpc_builder_raises_unsupported() -> None:
    control = _JsonRpcProtocol(policy())
    assert not control.supports_third_party and _EventsProtocol(policy()).supports_third_party
    with pytest.raises(ZoomUnsupported) as caught:
        control.third_party_join_request(ROOM, ThirdPartyJoin("url", "MS_TEAMS", join_url=LINK))
    assert caught.value.protocol == "jsonrpc" and caught.value.request is None
    assert "lu3d1SdNShj6ak9H0S" not in str(caught.value)


def test_secrets_cover_the_link_query_encoded_and_decoded() -> None:
    link = "https://teams.microsoft.com/meet/1234567890123?p=Aa1%2BBb2Cc3&anon=true#frag-ment"
    join = ThirdPartyJoin("url", "MS_TEAMS", join_url=link)
    secrets = third_party_secrets(join)
    assert {link, "p=Aa1%2BBb2Cc3&anon=true", "Aa1%2BBb2Cc3", "Aa1+Bb2Cc3", "frag-ment"} <= set(secrets)
    assert third_party_params(join) == {"join_type": "url", "meeting_source_type": "MS_TEAMS", "join_url": link}
    message = f"bad link {link}; p was Aa1+Bb2Cc3"
    assert "Aa1" not in redact(message, secrets)
    sip = third_party_secrets(ThirdPartyJoin("sip", sip_address="sip:813878896.774411@t.plcm.vc"))
    assert "813878896.774411" in sip
