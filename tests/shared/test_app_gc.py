"""A running service keeps what start-up built out of the cyclic GC's reach, and only while it runs."""

from __future__ import annotations

import gc
from pathlib import Path

from services.consent.models import JOB_TABLES
from services.consent.settings import ConsentSettings
from shared.app import build_service_app
from shared.testing.apps import running


async def test_start_up_objects_are_frozen_while_the_service_runs(tmp_path: Path) -> None:
    settings = ConsentSettings(env="test", var_dir=tmp_path, run_jobs_in_process=False)
    app = build_service_app(settings=settings, title="t", description="t", routers=[], job_tables=JOB_TABLES)
    gc.unfreeze()
    async with running(app) as client:
        assert gc.get_freeze_count() > 1000  # modules, routes, models: the import's objects at least
        assert (await client.get("/consent/healthz")).status_code == 200
        garbage: list[object] = []
        garbage.append(garbage)  # a cycle made while serving is still collected
        del garbage
        assert gc.collect() >= 1
    assert gc.get_freeze_count() == 0
