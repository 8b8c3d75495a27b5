from __future__ import annotations

import pytest

from tests.services.coffre.conftest import CoffreFactory
from tests.services.coffre.retrait.outils import BancFactory, banc_factory


@pytest.fixture
def banc(coffre_factory: CoffreFactory) -> BancFactory:
    return banc_factory(coffre_factory)
