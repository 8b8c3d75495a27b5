from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.clock import ClockMovedBackwards, SystemClock, TestClock, utc


def test_pinned_clock_moves_forward_only() -> None:
    clock = TestClock(datetime(2026, 7, 14, 10, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == datetime(2026, 7, 14, 8, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2026, 7, 14, 9, tzinfo=UTC)
    with pytest.raises(ClockMovedBackwards):
        clock.set(datetime(2026, 7, 14, 8, tzinfo=UTC))
    with pytest.raises(ClockMovedBackwards):
        clock.advance(timedelta(seconds=-1))


def test_running_clock_follows_wall_time_with_offset() -> None:
    clock = TestClock()
    assert not clock.pinned
    target = SystemClock().now() + timedelta(days=3)
    clock.set(target)
    assert clock.now() >= target
    assert clock.now() - target < timedelta(seconds=5)


def test_naive_instants_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        utc(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_system_clock_never_runs_back_when_the_system_time_is_stepped_back() -> None:
    """Issue 12: an NTP step of minus ten minutes does not date anything before what was dated."""
    systeme = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    clock = SystemClock(source=lambda: systeme[0])
    assert clock.now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    systeme[0] = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
    assert clock.now() == datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
    systeme[0] = datetime(2026, 3, 2, 8, 50, tzinfo=UTC)  # the step back
    assert clock.now() == datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
    systeme[0] = datetime(2026, 3, 2, 9, 0, 6, tzinfo=UTC)  # caught up
    assert clock.now() == datetime(2026, 3, 2, 9, 0, 6, tzinfo=UTC)
    instants = []
    for secondes in (0, 7, 3, 9, 1, 12):
        systeme[0] = datetime(2026, 3, 2, 9, 1, secondes, tzinfo=UTC)
        instants.append(clock.now())
    assert instants == sorted(instants)
