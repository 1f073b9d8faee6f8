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
        self.takes = 0.0  # seconds a listing takes (the fake clock moves on by that much)

    async def list_rooms(self) -> list[Room]:
        self.listed_at.append(self.clock.now)
        self.clock.now += self.takes
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


def test_a_preflight_asked_while_a_watch_waits_out_the_spared_interval_gets_its_listing_at_once() -> None:
    """The listing a watch waits for sleeps out the spared interval; a pre-flight that comes meanwhile must not
    wait for that sleep to end (the joins queued for the rate limit would run dry while it did)."""
    clock = FakeClock()
    lister = FakeLister(clock)

    async def never_wakes(seconds: float) -> None:
        clock.slept.append(seconds)
        await asyncio.Event().wait()

    board = RoomStatusBoard(lister, min_interval=1.0, max_age=2.0, monotonic=clock.monotonic, sleep=never_wakes)

    async def scenario() -> None:
        await board.status(ROOMS[0])  # the first listing
        lister.transport.pacer.joins = 50  # joins wait for the rate limit: a watch waits for the spared interval
        clock.now += 1.5
        board.control_sent(ROOMS[1].room_id)  # a join was sent: the first listing says nothing about the room now
        watch = asyncio.ensure_future(board.status(ROOMS[1], watching=True))
        for _ in range(5):
            await asyncio.sleep(0)
        assert len(lister.listed_at) == 1 and clock.slept  # the watch's listing is waiting out its interval
        clock.now += 1  # the first listing is stale now: a pre-flight cannot be answered from it
        # Bounded only so that the failure is an assertion rather than a hang.
        await asyncio.wait_for(board.status(ROOMS[2]), timeout=5)
        assert len(lister.listed_at) == 2
        assert await asyncio.wait_for(watch, timeout=5) == "Available"  # answered by the same listing

    asyncio.run(scenario())


def test_preflights_near_the_end_of_a_listings_freshness_start_the_next_unless_queued_joins_outlast_it() -> None:
    """A burst's pre-flights would otherwise all stop when the listing goes stale and wait for a new one to be
    taken, while the joins queued for the rate limit run dry."""
    board, lister, clock = board_and_lister()
    lister.takes = 0.5

    async def preflight_at(now: float, room: Room) -> None:
        clock.now = now
        assert await board.status(room) == "Available"  # answered at once, from the listing in hand
        for _ in range(5):
            await asyncio.sleep(0)

    async def scenario() -> None:
        await board.status(ROOMS[0])  # listed at 100.0, fresh for pre-flights until 102.0
        await preflight_at(101.0, ROOMS[1])  # 1.0 s of freshness left, a listing takes 0.5 s: nothing yet
        assert lister.listed_at == [100.0]
        lister.transport.pacer.joins = 100  # 10 s of joins queued at 10/s: they outlast a listing taken later
        await preflight_at(101.6, ROOMS[2])
        assert lister.listed_at == [100.0]
        lister.transport.pacer.joins = 2  # the queue would run dry first: the next listing starts now
        await preflight_at(101.7, ROOMS[3])
        assert lister.listed_at == [100.0, 101.7]

    asyncio.run(scenario())
