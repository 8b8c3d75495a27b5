"""One development TSA for the whole package, and a genuine acte bundle built once per module."""

from __future__ import annotations

import pytest

from shared.timestamps.authority import TsaCredentials, load_or_create_dev_tsa
from tests.shared.evidence.helpers import Built, build_acte_bundle


@pytest.fixture(scope="package")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> TsaCredentials:
    return load_or_create_dev_tsa(tmp_path_factory.mktemp("tsa"))


@pytest.fixture(scope="module")
async def genuine(tmp_path_factory: pytest.TempPathFactory, credentials: TsaCredentials) -> Built:
    """An acte served à personne: deposited, sent, opened the same day, mode fixed that evening."""
    return await build_acte_bundle(tmp_path_factory.mktemp("genuine"), credentials)
