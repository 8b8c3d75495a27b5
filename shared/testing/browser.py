"""Real headless Chromium for page tests: Debian's `chromium` driven by Playwright.

Playwright's own browser download is not used (it cannot be fetched here and is not needed): the
Debian package is launched through `executable_path`. The flags keep Chromium from reaching any
network but the loopback pages under test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, async_playwright

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    explicit = os.environ.get("SIGNIF_CHROMIUM")
    found = explicit or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("Debian chromium is required for browser tests (make test installs it)")
    return found


@asynccontextmanager
async def chromium(user_data_dir: Path | None = None) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


def artifacts_dir() -> Path:
    """Where screenshots of pages are kept as test artefacts (`test-artifacts/` at the repository root)."""
    path = Path(
        os.environ.get("SIGNIF_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path
