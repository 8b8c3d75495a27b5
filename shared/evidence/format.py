"""The evidence bundle format `signif-preuves/1`: one ZIP that proves a signification (or a consent
declaration's history) without the platform, its database or the network.

Layout (every path is relative to the root of the ZIP; `?` marks optional pieces):

    manifest.json                  {"format": "signif-preuves/1", "type": "acte"|"registre", "sujet",
                                    "genere_le", "fichiers": [{"chemin", "sha256", "taille", "role"}]}:
                                    every other file of the ZIP with its SHA-256 (hex) and size
    VERIFIER.md                    how a third party checks each piece with standard tools (FR + EN)
    SHA256SUMS                     `sha256sum -c` input: every file but manifest.json and itself
    recit.json                     (acte) the story the platform asserts, see `Recit`
    recepisse.jws                ? (registre) the sealed récépissé as issued at submission (compact JWS);
                                    its SHA-256 is the `recepisse_sha256` of the `declaration.soumise` leaf
    historique.json                (registre) {"declaration_id", "entrees": [{"index", "feuille", ...}]}:
                                    one entry per logged leaf; "feuille" is the hex RFC 9162 leaf hash
    acte/document.pdf              (acte) the acte as deposited, byte for byte
    acte/annexes/<n>-<nom>       ? (acte) the annexes, numbered from 1 in deposit order
    validation/rapport.json      ? the signature validation report of the acte
    horodatages/<nom>.tsr        ? DER RFC 3161 TimeStampResp, with beside it
    horodatages/<nom>.json         {"objet": <path of the timestamped file>} or {"sha256": <hex of what
                                    was timestamped>}, plus "algorithme": "sha256"
    tsa/tsa.pem, tsa/racine.pem    (when there are tokens) the TSA certificate (and intermediates), and
                                    the root(s) the tokens chain to
    avis/mise-a-disposition.json ? the avis de mise à disposition record
    avis/reception.jws           ? the avis de réception: compact JWS (EdDSA) over JSON
    avis/reception.pdf           ? the same, as a sealed PDF
    certificat/certificat.pdf    ? the certificat de signification (sealed PDF), its current version
    documents/<nom>-v<n>.pdf     ? every issued version of the sealed documents (avis-de-reception,
                                    certificat, lettre-simple), byte for byte as served
    confiance/actes-racines.pem  ? the roots the acte's PAdES signature is checked against (the coffre's)
    confiance/sceau.pem          ? the platform's seal certificate, then its chain up to its root
    documents/index.json         ? [{"type", "version", "chemin", "sha256", "emis_le", "journal_index",
                                    "en_vigueur"}]: each version with its `document` leaf, the current
                                    one of each type marked
    lettre-simple/lettre-simple.json ? the lettre simple record
    cles/jwks.json                 (when there is a JWS) the platform's seal keys, by `kid`
    journal/cle.txt                the log's C2SP note verifier key(s), one per line
    journal/checkpoint.txt         the signed C2SP checkpoint the inclusion proofs are relative to
    journal/feuilles.json          [{"index", "donnees" (base64 leaf data), "preuve": [base64 hashes]}]
    journal/checkpoint-dernier.txt the latest signed checkpoint at generation time
    journal/coherence.json         {"ancienne", "nouvelle", "preuve": [base64]}: RFC 9162 consistency
                                    proof from checkpoint.txt's tree size to checkpoint-dernier.txt's
    journal/ouvertures.json      ? [{"index", "champ", "valeur", "sel" (hex)}]: the openings of the
                                    commitments the bundle's own leaves carry (format v2 leaves,
                                    `shared.evidence.engagements`): SHA-256(sel ‖ valeur) must be the
                                    leaf's committed field for `champ`

Log leaves are canonical JSON objects (`journal_leaf`: sorted keys, no spaces, UTF-8) with at least
"type" and "instant" (RFC 3339, UTC). Leaves of format version 2 (`"v": 2`) carry declaration ids,
account ids and magistrates' subjects only as salted commitments (`*_engagement`); everything said
below of a leaf's "declaration_id" is said of the leaf opened by `journal/ouvertures.json`, and every
declaration commitment of a bundle's leaf must be opened there. In an acte bundle every leaf
carries "acte_id"; the leaves of types `depot`, `envoi`, `prise_connaissance` (at most one of
each) carry the instant of the matching `Recit` field and, when they have one, the acte's "sha256";
the `mode` leaf carries "mode" (and
"lettre_simple_due_le" when there is a lettre simple). Each non-null instant of the story must be
backed by its leaf. In a registre bundle every leaf carries "declaration_id".

Every `.jws` of an acte bundle signs a JSON object carrying "acte_id" and "sha256" (the avis de
réception also "pris_connaissance_le"); any field it shares with the story ("declaration_id",
"depose_le", "envoye_le", "pris_connaissance_le") must agree with it. In a registre bundle a JWS's
"declaration_id", when present, is the subject.

JSON pieces are written sorted and indented (human-readable); instants are RFC 3339 UTC with `Z`,
dates `YYYY-MM-DD`. The ZIP is deterministic: fixed entry order (manifest.json, VERIFIER.md,
SHA256SUMS, then paths in byte order), every entry dated `genere_le` with mode 0644.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from shared.legal_time import rfc3339_utc as rfc3339_utc  # re-exported for the evidence modules

FORMAT = "signif-preuves/1"
TYPES = ("acte", "registre")
BundleType = Literal["acte", "registre"]
MODES = ("a_personne", "a_domicile")

MANIFEST = "manifest.json"
GUIDE = "VERIFIER.md"
SUMS = "SHA256SUMS"
RECIT = "recit.json"
HISTORIQUE = "historique.json"
ACTE = "acte/document.pdf"
ANNEXES = "acte/annexes/"
RAPPORT = "validation/rapport.json"
HORODATAGES = "horodatages/"
TSA_CERT = "tsa/tsa.pem"
TSA_RACINE = "tsa/racine.pem"
AVIS_MAD = "avis/mise-a-disposition.json"
AVIS_RECEPTION = "avis/reception.jws"
AVIS_RECEPTION_PDF = "avis/reception.pdf"
CERTIFICAT = "certificat/certificat.pdf"
LETTRE_SIMPLE = "lettre-simple/lettre-simple.json"
RECEPISSE = "recepisse.jws"
DOCUMENTS = "documents/"
DOCUMENTS_INDEX = "documents/index.json"
JWKS = "cles/jwks.json"
CLE_JOURNAL = "journal/cle.txt"
CHECKPOINT = "journal/checkpoint.txt"
FEUILLES = "journal/feuilles.json"
CHECKPOINT_DERNIER = "journal/checkpoint-dernier.txt"
COHERENCE = "journal/coherence.json"
OUVERTURES = "journal/ouvertures.json"
JOURNAL = (CLE_JOURNAL, CHECKPOINT, FEUILLES, CHECKPOINT_DERNIER, COHERENCE)

_ROLES = {
    GUIDE: "guide-verification",
    SUMS: "sommes-sha256",
    RECIT: "recit",
    HISTORIQUE: "historique",
    ACTE: "acte",
    RAPPORT: "rapport-validation",
    TSA_CERT: "certificat-tsa",
    TSA_RACINE: "racine-tsa",
    AVIS_MAD: "avis-mise-a-disposition",
    AVIS_RECEPTION: "avis-reception",
    AVIS_RECEPTION_PDF: "avis-reception-pdf",
    CERTIFICAT: "certificat-signification",
    LETTRE_SIMPLE: "lettre-simple",
    DOCUMENTS_INDEX: "documents-index",
    JWKS: "cles-publiques",
    CLE_JOURNAL: "cle-journal",
    CHECKPOINT: "checkpoint",
    FEUILLES: "feuilles-journal",
    CHECKPOINT_DERNIER: "checkpoint-dernier",
    COHERENCE: "preuve-coherence",
    OUVERTURES: "ouvertures-engagements",
}

_SAFE_PATH = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class FormatError(ValueError):
    """A piece does not follow the format; the message says which and why (in French)."""


def role_of(path: str) -> str:
    """The manifest role of a path (informative: verification goes by path, not by role)."""
    if path in _ROLES:
        return _ROLES[path]
    if path.startswith(ANNEXES):
        return "annexe"
    if path.startswith(HORODATAGES):
        return "horodatage" if path.endswith(".tsr") else "horodatage-objet"
    return "piece"


def is_safe_path(path: str) -> bool:
    """Relative, `/`-separated, ASCII letters, digits, `.`, `_`, `-` only, no `.` or `..` segment."""
    return bool(_SAFE_PATH.fullmatch(path)) and all(part not in (".", "..") for part in path.split("/"))


# --- JSON, instants, dates ------------------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the encoding of log leaves (one value, one byte string)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def pretty_json(value: Any) -> bytes:
    """Sorted, indented JSON with a final newline: the encoding of the bundle's JSON pieces."""
    text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def journal_leaf(type_: str, instant: datetime, **fields: Any) -> bytes:
    """The data of a log leaf: canonical JSON of `{"type", "instant" (RFC 3339 UTC), **fields}`."""
    return canonical_json({**fields, "type": type_, "instant": rfc3339_utc(instant)})


def parse_instant(value: object, what: str) -> datetime:
    """An RFC 3339 instant with an offset, returned in UTC."""
    if not isinstance(value, str):
        raise FormatError(f"{what} : instant RFC 3339 attendu, trouvé {value!r}")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FormatError(f"{what} : instant RFC 3339 attendu, trouvé {value!r}") from exc
    if instant.tzinfo is None or "T" not in value:
        raise FormatError(f"{what} : instant avec fuseau (RFC 3339) attendu, trouvé {value!r}")
    return instant.astimezone(UTC)


def parse_date(value: object, what: str) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise FormatError(f"{what} : date AAAA-MM-JJ attendue, trouvé {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise FormatError(f"{what} : date invalide {value!r}") from exc


def _date_or_instant(value: object, what: str) -> date | datetime | None:
    """A posting recorded as a day (`YYYY-MM-DD`) or an instant (RFC 3339); None when absent."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        return parse_date(value, what)
    return parse_instant(value, what)


def json_value(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"{what} : JSON illisible ({exc})") from exc


def json_object(data: bytes, what: str) -> dict[str, Any]:
    value = json_value(data, what)
    if not isinstance(value, dict):
        raise FormatError(f"{what} : objet JSON attendu")
    return value


# --- the story ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LettreSimple:
    due_le: date
    envoyee_le: datetime | date | None = None

    def to_json(self) -> dict[str, str | None]:
        envoyee = self.envoyee_le
        if isinstance(envoyee, datetime):
            return {"due_le": self.due_le.isoformat(), "envoyee_le": rfc3339_utc(envoyee)}
        return {"due_le": self.due_le.isoformat(), "envoyee_le": envoyee.isoformat() if envoyee else None}


@dataclass(frozen=True)
class Recit:
    """What the platform asserts about one signification (`recit.json`).

    `fuseau` and `subdivision_feries` are the destinataire's legal time zone and holiday calendar
    (shared.territoire), in which the same-day rule and the lettre simple due date are computed.
    """

    acte_id: str
    sha256: str
    depose_le: datetime
    envoye_le: datetime | None
    pris_connaissance_le: datetime | None
    mode: str | None
    fuseau: str
    subdivision_feries: str | None
    lettre_simple: LettreSimple | None
    declaration_id: str

    def to_json(self) -> dict[str, Any]:
        def instant(value: datetime | None) -> str | None:
            return rfc3339_utc(value) if value is not None else None

        return {
            "acte_id": self.acte_id,
            "sha256": self.sha256,
            "depose_le": rfc3339_utc(self.depose_le),
            "envoye_le": instant(self.envoye_le),
            "pris_connaissance_le": instant(self.pris_connaissance_le),
            "mode": self.mode,
            "fuseau": self.fuseau,
            "subdivision_feries": self.subdivision_feries,
            "lettre_simple": self.lettre_simple.to_json() if self.lettre_simple else None,
            "declaration_id": self.declaration_id,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Recit:
        """Parse `recit.json`; `FormatError` names the field at fault."""

        def text(key: str, *, optional: bool = False) -> str | None:
            item = value.get(key)
            if item is None and optional:
                return None
            if not isinstance(item, str) or not item:
                raise FormatError(f"champ {key} : texte attendu, trouvé {item!r}")
            return item

        def instant(key: str) -> datetime | None:
            item = value.get(key)
            return None if item is None else parse_instant(item, f"champ {key}")

        missing = {"acte_id", "sha256", "depose_le", "fuseau", "declaration_id"} - value.keys()
        if missing:
            raise FormatError(f"champs manquants : {', '.join(sorted(missing))}")
        sha256 = str(text("sha256"))
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise FormatError(
                f"champ sha256 : 64 chiffres hexadécimaux minuscules attendus, trouvé {sha256!r}"
            )
        mode = text("mode", optional=True)
        if mode is not None and mode not in MODES:
            raise FormatError(f"champ mode : a_personne, a_domicile ou null attendu, trouvé {mode!r}")
        lettre = value.get("lettre_simple")
        lettre_simple = None
        if lettre is not None:
            if not isinstance(lettre, dict):
                raise FormatError("champ lettre_simple : objet ou null attendu")
            lettre_simple = LettreSimple(
                due_le=parse_date(lettre.get("due_le"), "champ lettre_simple.due_le"),
                envoyee_le=_date_or_instant(lettre.get("envoyee_le"), "champ lettre_simple.envoyee_le"),
            )
        return cls(
            acte_id=str(text("acte_id")),
            sha256=sha256,
            depose_le=parse_instant(value["depose_le"], "champ depose_le"),
            envoye_le=instant("envoye_le"),
            pris_connaissance_le=instant("pris_connaissance_le"),
            mode=mode,
            fuseau=str(text("fuseau")),
            subdivision_feries=text("subdivision_feries", optional=True),
            lettre_simple=lettre_simple,
            declaration_id=str(text("declaration_id")),
        )
