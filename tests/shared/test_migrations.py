"""Every service's migrations upgrade an empty database to head, and agree with its models."""

from __future__ import annotations

import importlib

import pytest

from shared.migrate import pending_differences, upgrade


@pytest.mark.parametrize("service", ["consent", "coffre", "notify"])
async def test_upgrade_from_empty_and_models_agree(service: str, database_url: str) -> None:
    await upgrade(service, database_url)
    metadata = importlib.import_module(f"services.{service}.models").Base.metadata
    assert metadata.tables, "the service defines tables"
    assert await pending_differences(database_url, metadata) == []
    # Upgrading again is a no-op.
    await upgrade(service, database_url)
