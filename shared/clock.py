"""The injectable clock.

Every legal instant (envoi, prise de connaissance, revocation, due dates) is read from a `Clock`, never
from `datetime.now()`, so tests travel in time instead of sleeping. `SystemClock` is the production
clock. `TestClock` exists only when `SIGNIF_ENV` is `development` or `test`: it is pinned at an instant
(`SIGNIF_NOW`) and only ever moves forward (`POST /_test/horloge`), because legal time never runs back.
Instants are always aware and in UTC.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


def utc(instant: datetime) -> datetime:
    """Normalise an aware instant to UTC; naive datetimes are a programming error."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: every instant must carry its offset")
    return instant.astimezone(UTC)


class SystemClock:
    """The production clock: the system's time, never running back.

    An operator (or NTP) may step the system clock backwards; legal instants must not follow it, or a
    leaf, an envoi or a prise de connaissance would be dated before one already recorded. `now` never
    returns an instant earlier than one it has returned: after a step back it stays at the last
    instant until the system's time has caught up (a few seconds frozen rather than history reordered).
    `source` is the system's time (injectable, to replay a step back in tests).
    """

    def __init__(self, source: Callable[[], datetime] | None = None) -> None:
        self._source = source or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._dernier: datetime | None = None

    def now(self) -> datetime:
        instant = utc(self._source())
        with self._lock:
            if self._dernier is not None and instant < self._dernier:
                return self._dernier
            self._dernier = instant
            return instant


class ClockMovedBackwards(ValueError):
    pass


class TestClock:
    """The development/test clock: pinned at `start` (SIGNIF_NOW), or running from real time.

    Pinned, it stays at its instant until moved; running, it follows the wall clock plus an offset.
    Either way `set` and `advance` only move it forward.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._pinned = start is not None
        self._base = utc(start) if start is not None else datetime.now(UTC)
        self._offset = timedelta(0)

    @property
    def pinned(self) -> bool:
        return self._pinned

    def now(self) -> datetime:
        with self._lock:
            return self._now_unlocked()

    def _now_unlocked(self) -> datetime:
        return self._base if self._pinned else datetime.now(UTC) + self._offset

    def set(self, instant: datetime) -> datetime:
        instant = utc(instant)
        with self._lock:
            current = self._now_unlocked()
            if instant < current:
                # Shown to the caller of `POST /_test/horloge`: in French.
                raise ClockMovedBackwards(
                    "l'horloge de test n'avance que vers le futur : "
                    f"maintenant {current.isoformat()}, demandé {instant.isoformat()}"
                )
            if self._pinned:
                self._base = instant
            else:
                self._offset += instant - current
            return instant

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ClockMovedBackwards("l'horloge de test n'avance que vers le futur")
        return self.set(self.now() + delta)
