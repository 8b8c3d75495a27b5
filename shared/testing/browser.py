"""Real headless Chromium for page tests: Debian's `chromium` driven by Playwright.

Playwright's own browser download is not used (it cannot be fetched here and is not needed): the
Debian package is launched through `executable_path`. The flags keep Chromium from reaching any
network but the loopback pages under test.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

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


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def servir(app: Any, port: int) -> Iterator[None]:
    """Serve `app` (its lifespan included) with uvicorn on 127.0.0.1:`port`, in a thread."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.025)
        if not server.started:
            raise RuntimeError("uvicorn did not start")
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def verifier_page(page: Page, nom: str) -> None:
    """Keep a full-page screenshot `<nom>.png` and assert axe-core finds no serious or critical violation."""
    await page.screenshot(path=str(artifacts_dir() / f"{nom}.png"), full_page=True)
    resultats = await Axe().run(page)
    graves = [
        (v["id"], v["impact"], v["help"])
        for v in resultats.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    if graves:
        raise AssertionError(f"axe-core on {nom}: {graves}")


async def verifier_page_largeurs(page: Page, nom: str, largeurs: tuple[int, ...] = (390, 1280)) -> None:
    """`verifier_page` on a phone and on a desktop (`<nom>-<largeur>.png`), with no horizontal scroll;
    the viewport is restored afterwards."""
    avant = page.viewport_size
    for largeur in largeurs:
        await page.set_viewport_size({"width": largeur, "height": 844 if largeur < 600 else 800})
        await verifier_page(page, f"{nom}-{largeur}")
        defilement = await page.evaluate("document.documentElement.scrollWidth")
        if defilement > largeur:
            raise AssertionError(f"{nom} at {largeur} px scrolls horizontally ({defilement} px)")
    if avant is not None:
        await page.set_viewport_size(avant)
