from __future__ import annotations

from pathlib import Path

import pytest

from shared.testing.pki import ThrowawayPki
from tests.services.coffre.retrait.outils import BancFactory, banc_factory


@pytest.fixture
def banc(tmp_path: Path, depot_pki: ThrowawayPki) -> BancFactory:
    return banc_factory(tmp_path, depot_pki)
