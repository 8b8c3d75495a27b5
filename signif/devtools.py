"""Developer tools: `python -m signif.devtools revision <service> "<message>"` writes a migration.

It upgrades a throw-away SQLite database to head, then autogenerates the difference between the
service's models and that schema into `services/<service>/migrations/versions/`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from shared.migrate import autogenerate_revision


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "revision":
        print(__doc__, file=sys.stderr)
        return 2
    service, message = argv[1], argv[2]
    __import__(f"services.{service}.models")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'schema.db'}"
        asyncio.run(autogenerate_revision(service, url, message))
    versions = Path(__file__).resolve().parent.parent / "services" / service / "migrations" / "versions"
    ruff = Path(sys.executable).with_name("ruff")
    subprocess.run([str(ruff), "format", "-q", str(versions)], check=True)  # noqa: S603 - our own tool
    subprocess.run([str(ruff), "check", "--fix", "-q", str(versions)], check=True)  # noqa: S603
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
