"""A development TSA per test module and a pinned clock."""

from __future__ import annotations

import pytest

from shared.clock import TestClock
from shared.timestamps.authority import TsaCredentials, load_or_create_dev_tsa
from shared.timestamps.tsa import TimeStampAuthority
from tests.shared.timestamps.helpers import NOW


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> TsaCredentials:
    return load_or_create_dev_tsa(tmp_path_factory.mktemp("tsa"))


@pytest.fixture
def clock() -> TestClock:
    return TestClock(NOW)


@pytest.fixture
def authority(credentials: TsaCredentials, clock: TestClock) -> TimeStampAuthority:
    return TimeStampAuthority(credentials, clock=clock.now)
