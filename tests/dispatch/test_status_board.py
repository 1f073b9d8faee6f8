"""RoomStatusBoard's listing pace (pure logic: a fake Zoom lister, a fake clock).  The board end to end over
HTTP is in test_join.py and the booking worker's tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.dispatch.status_board import RoomStatusBoard
from bot.zoom.models import Room

ROOMS = [Room(id=f"zr{k}", room_id=f"rm{k}", name=f"Room {k}", status="Available") for k in range(400)]


@dataclass
class FakeClock:
    now: float = 100.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Settings:
    qps_medium: float = 10.0


@dataclass
class Pacer:
    joins: int = 0

    def waiting(self, category: str) -> int:
        return self.joins


@dataclass
class Transport:
    pacer: Pacer


class FakeLister:
    """Two pages of rooms per listing; joins wait for the Medium rate limit while ``pacer.joins`` > 0."""

    def __init__(self, clock: FakeClock) -> None:
        self.settings = Settings()
        self.transport = Transport(Pacer())
        self.clock = clock
        self.listed_at: list[float] = []

    async def list_rooms(self) -> list[Room]:
        self.listed_at.append(self.clock.now)
        return ROOMS

    async def room_status(self, room: Room) -> str:
        raise AssertionError("every room is in the listing")


def board_and_lister() -> tuple[RoomStatusBoard, FakeLister, FakeClock]:
    clock = FakeClock()
    lister = FakeLister(clock)
    return RoomStatusBoard(lister, min_interval=1.0, max_age=2.0, monotonic=clock.monotonic,
                           sleep=clock.sleep), lister, clock


def test_while_joins_wait_a_watch_waits_for_the_spared_interval_but_a_preflight_does_not() -> None:
    board, lister, clock = board_and_lister()
    asyncio.run(board.status(ROOMS[0]))  # the first listing
    lister.transport.pacer.joins = 50  # joins queue for the rate limit: listings are spaced out (2 pages)
    spared = board.interval()
    assert spared == 2 / (0.025 * 10)  # 8 s, far above min_interval
    board.control_sent(ROOMS[1].room_id)
    clock.now += 3
    asyncio.run(board.status(ROOMS[1], watching=True))  # watching its join: waits for the spared interval
    assert lister.listed_at[-1] - lister.listed_at[-2] >= spared
    clock.now += 3  # that listing is stale now
    asyncio.run(board.status(ROOMS[2]))  # a pre-flight: its join cannot even queue until the listing comes
    assert lister.listed_at[-1] - lister.listed_at[-2] < spared
    assert lister.listed_at[-1] == clock.now  # at once: min_interval had long passed


def test_warming_takes_a_listing_only_when_the_last_will_be_stale_by_then() -> None:
    board, lister, clock = board_and_lister()
    asyncio.run(board.warm(ahead=0.8))  # bookings due in 0.8 s, no listing yet: take one now
    assert lister.listed_at == [100.0]
    clock.now += 0.2
    asyncio.run(board.warm(ahead=0.5))  # at most 0.7 s old then: fresh enough
    assert len(lister.listed_at) == 1
    asyncio.run(board.status(ROOMS[0]))  # the due dispatch's pre-flight is answered from it
    assert len(lister.listed_at) == 1
    asyncio.run(board.warm(ahead=1.5))  # 1.7 s old by then: more than half max_age, so a new one
    assert len(lister.listed_at) == 2
