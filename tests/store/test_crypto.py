"""Passcodes at rest: Fernet, key handling, and no plaintext in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.config_errors import ConfigError
from bot.store import bookings, occurrences
from bot.store.crypto import Sealed, SecretBox, SecretKeyMismatch, derive_fernet_key
from bot.store.db import session_scope
from bot.store.models import Booking, Room
from bot.store.types import MeetingMode
from tests.support.db import MigratedDatabase

ROOMS_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@-_*"
ROOMS_COMPATIBLE = st.text(alphabet=ROOMS_ALPHABET, min_size=1, max_size=10)


@settings(max_examples=50, deadline=None)
@given(passcode=ROOMS_COMPATIBLE)
def test_seal_and_open_round_trip(passcode: str) -> None:
    box = SecretBox(FIXED_KEY)
    sealed = box.seal(passcode)
    assert sealed.token.startswith("gAAAA")  # a Fernet token, version byte 0x80
    if len(passcode) >= 6:  # shorter strings can turn up in any base64 text by chance
        assert passcode not in sealed.token
    assert box.open(sealed) == passcode


FIXED_KEY = Fernet.generate_key()


def test_unicode_passcodes_round_trip(secret_box: SecretBox) -> None:
    assert secret_box.open(secret_box.seal("w46!(i{74n ü")) == "w46!(i{74n ü"


def test_passphrase_is_stretched_to_a_stable_key() -> None:
    passphrase = "correct horse battery staple"
    assert derive_fernet_key(passphrase) == derive_fernet_key(passphrase)
    sealed = SecretBox(passphrase).seal("abc123")
    assert SecretBox(passphrase).open(sealed) == "abc123"


def test_fernet_key_is_used_as_is() -> None:
    key = Fernet.generate_key()
    assert derive_fernet_key(key.decode()) == key
    assert Fernet(key).decrypt(SecretBox(key).seal("xyz").token.encode()) == b"xyz"


@pytest.mark.parametrize("value", ["", "   ", "tiny-s3cret"])
def test_bad_or_missing_key_is_a_config_error_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SecretBox.from_key(value)
    assert str(caught.value).startswith("ROOMBOT_SECRET_KEY:")
    assert value.strip() == "" or value not in str(caught.value)  # never echo a secret


def test_missing_key_message() -> None:
    with pytest.raises(ConfigError, match="ROOMBOT_SECRET_KEY: is not set"):
        SecretBox.from_key(None)


def test_wrong_key_is_reported_clearly(secret_box: SecretBox) -> None:
    sealed = secret_box.seal("abc")
    with pytest.raises(SecretKeyMismatch, match="different key"):
        SecretBox(Fernet.generate_key()).open(sealed)


def test_rotation_reads_old_tokens_and_reseals_with_new_key() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    sealed = SecretBox(old).seal("abc")
    rotated_box = SecretBox(new, old)
    assert rotated_box.open(sealed) == "abc"
    assert SecretBox(new).open(rotated_box.rotate(sealed)) == "abc"


def test_sealed_repr_hides_token(secret_box: SecretBox) -> None:
    assert "gAAAA" not in repr(secret_box.seal("abc"))


def _room(session) -> Room:
    room = Room(name="Boardroom", name_key="boardroom", zoom_room_id="zr-1")
    session.add(room)
    session.flush()
    return room


def test_encrypted_columns_never_hold_plaintext(migrated_db: MigratedDatabase, secret_box: SecretBox) -> None:
    passcode = "Pq7@kd_9"
    now = datetime(2030, 1, 1, 8, tzinfo=UTC)
    with session_scope(migrated_db.sessions, write_lock=True) as session:
        booking = bookings.create_booking(
            session,
            room=_room(session),
            requester_user_id="U1",
            channel_id="C1",
            tz_name="Europe/Berlin",
            starts_at=now + timedelta(hours=1),
            duration=timedelta(minutes=30),
            meeting_mode=MeetingMode.LINK,
            meeting_id="12345678901",
            passcode=secret_box.seal(passcode),
            now=now,
        )
        (occurrence,) = booking.occurrences
        assert occurrences.set_meeting(
            session, occurrence.id, meeting_id="98765432109", passcode=secret_box.seal(passcode), join_url=None
        )
    with migrated_db.engine.connect() as connection:
        raw_values = [
            connection.execute(text("SELECT passcode FROM bookings")).scalar_one(),
            connection.execute(text("SELECT passcode FROM occurrences")).scalar_one(),
        ]
    for raw in raw_values:
        assert passcode not in raw and raw.startswith("gAAAA")
        assert secret_box.open(Sealed(raw)) == passcode
    with session_scope(migrated_db.sessions) as session:
        stored = session.query(Booking).one()
        assert isinstance(stored.passcode, Sealed) and secret_box.open(stored.passcode) == passcode


def test_plaintext_assignment_is_refused(migrated_db: MigratedDatabase) -> None:
    with pytest.raises(Exception, match="refusing to store a str in an encrypted column"):
        with session_scope(migrated_db.sessions) as session:
            room = _room(session)
            session.add(
                Booking(
                    room_id=room.id,
                    requester_user_id="U1",
                    tz_name="UTC",
                    starts_at=datetime(2030, 1, 1, tzinfo=UTC),
                    duration_minutes=30,
                    meeting_mode=MeetingMode.LINK,
                    meeting_id="123456789",
                    passcode="plain-text",  # type: ignore[arg-type]
                )
            )
            session.flush()
    with migrated_db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM bookings")).scalar_one() == 0
