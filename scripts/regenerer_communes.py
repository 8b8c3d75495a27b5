"""Regenerate `shared/data/communes.csv` from the official open data it comes from.

Source: etalab's `@etalab/decoupage-administratif` (data.gouv.fr, the Code officiel géographique of
INSEE for the communes, La Poste's « base officielle des codes postaux » for their postal codes),
published on the npm registry. Data licence: Licence Ouverte / Open Licence 2.0 (the package's code
is MIT). `shared/data/SOURCES.md` records the version, its integrity hash and the date; bump
`VERSION` there and here together for a new millésime, run this script, read the diff, run the suite.

    .venv/bin/python scripts/regenerer_communes.py      (needs `npm`, reaches the npm registry)

Output: one row per (commune, postal code) for every current commune (`commune-actuelle`) of the
départements and collectivités the platform serves (metropole, DOM, and the COM 975, 977, 978, 986,
987, 988); TAAF (984) and Clipperton (989) are not served (`shared.territoire`). Rows are sorted by
postal code, then name, then INSEE code, so a regeneration from the same version is byte-identical.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "6.0.0"
NOT_SERVED = {"984", "989"}
TARGET = Path(__file__).resolve().parent.parent / "shared" / "data" / "communes.csv"
COLUMNS = ("code_postal", "nom", "code_insee", "departement")


def fetch(directory: Path) -> tuple[list[dict[str, object]], str]:
    """The package's communes.json and the SHA-512 (npm integrity form) of the tarball it came from."""
    name = subprocess.run(  # noqa: S603 (fixed arguments)
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"],  # noqa: S607 (npm from PATH)
        cwd=directory, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    tarball = (directory / name).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        member = archive.extractfile("package/data/communes.json")
        assert member is not None
        communes: list[dict[str, object]] = json.load(member)
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    return communes, integrity


def rows(communes: list[dict[str, object]]) -> list[tuple[str, str, str, str]]:
    selected = []
    for commune in communes:
        if commune["type"] != "commune-actuelle" or commune["departement"] in NOT_SERVED:
            continue
        postal_codes = commune.get("codesPostaux") or []
        assert isinstance(postal_codes, list)
        for postal_code in postal_codes:
            selected.append(
                (str(postal_code), str(commune["nom"]), str(commune["code"]), str(commune["departement"]))
            )
    return sorted(set(selected), key=lambda row: (row[0], row[1], row[2]))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        communes, integrity = fetch(Path(tmp))
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(communes))
    TARGET.write_text(output.getvalue(), encoding="utf-8")
    print(
        f"{TARGET.name}: {output.getvalue().count(chr(10)) - 1} rows from {PACKAGE}@{VERSION} ({integrity})"
    )


if __name__ == "__main__":
    main()
