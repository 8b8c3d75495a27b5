"""Per-step breakdown of a py-spy profile of the server under a benchmark's load (bench/avis, bench/depot).

py-spy is not a dependency of the project: install it into your own venv for profiling only
(`.venv/bin/pip install py-spy`). Record the server process while the benchmark measures, in raw
(collapsed) format, then classify the samples:

    .venv/bin/py-spy record --pid SERVER_PID --rate 250 --format raw --nonblocking --threads -o out.raw
    .venv/bin/python bench/profil.py avis out.raw      # or: depot out.raw

Each sample goes to the first step whose frames it contains. Samples whose innermost frame is the
event loop itself (uvloop runs in C: no Python frame above `Runner.run`) or an idle worker thread
are reported apart as idle; the shares are of the other ("busy") samples. SQLAlchemy's asyncio
layer runs statements in greenlets, whose stacks py-spy shows without their caller: that work is
one line of its own, whatever step issued the statement.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

Regle = tuple[str, tuple[str, ...]]

#: A frame pattern starting with "@self:" must be the innermost frame; "@greenlet" matches a stack
#: that starts inside SQLAlchemy or aiosqlite (a greenlet's, without its caller).
_IDLE: list[Regle] = [
    ("idle: event loop waiting (uvloop, in C)", ("@self:Runner.run (asyncio/runners.py",)),
    ("idle: SQLite worker thread waiting", ("@self:_connection_worker_thread",)),
    ("idle: thread pool waiting", ("@self:Condition.wait",)),
    ("idle: thread pool waiting", ("@self:_worker (concurrent",)),
]
_COMMUN_FIN: list[Regle] = [
    ("SQLAlchemy in greenlets (statements of every step; caller not visible)", ("@greenlet",)),
    ("SQLite engine (C: statements, commits)", ("aiosqlite/core.py",)),
    ("new TCP connections (httpx clients)", ("connect_tcp",)),
    ("HTTP stack (uvicorn, middleware, routing)", ("RequestResponseCycle.run_asgi",)),
    ("other", ()),
]
_DL = "telechargement (services/coffre/retrait"
AVIS: list[Regle] = [
    *_IDLE,
    ("httpx/httpcore: `import sniffio` attempted on every call", ("_find_and_load",)),
    ("download: RFC 3161 token", (_DL, "timestamp (")),
    ("download: avis de réception JWS (seal)", (_DL, "emettre_avis_reception", "sign (")),
    ("download: avis de réception, rest", (_DL, "emettre_avis_reception")),
    ("download: répertoire checkpoint (signed)", (_DL, "signer_checkpoint")),
    ("download: répertoire leaf", (_DL, "Repertoire.ajouter")),
    ("download: outbox event", (_DL, "emit_event")),
    ("download: hash check of the stored acte", ("open_checked",)),
    ("download: recording transaction, rest (lock, update, commit)", (_DL, "telecharger (services")),
    # The link, the browser's session and consent's answer are the handler's dependencies (FastAPI
    # resolves them outside its frame): counted for the sign-in pages as well as for the download.
    ("link and session checks: consent asked (coffre side)", ("connectee (services/coffre/retrait",)),
    ("link and session checks: link and acte lookup", ("_lien (services/coffre/retrait",)),
    ("link and session checks: browser session lookup", ("navigateur (services/coffre/retrait",)),
    ("download: form, CSRF", (_DL,)),
    ("download: body streamed", ("StreamingResponse",)),
    ("consent: session check endpoint", ("services/consent",)),
    ("jobs: coffre relay to notify", ("relay",)),
    ("jobs: notify webhook delivery", ("services/notify/livraisons",)),
    ("notify: intake endpoint", ("services/notify",)),
    ("jobs: runner (claim, complete)", ("shared/jobs/runner.py",)),
    *_COMMUN_FIN,
]
DEPOT: list[Regle] = [
    *_IDLE,
    ("validation: signed ranges hashed (thread)", ("hacher",)),
    ("validation: PAdES, ESS signing-certificate check (DN comparison)", ("_check_signing_certificate",)),
    ("validation: PAdES, signer certificate extraction", ("extract_certs_for_validation",)),
    ("validation: PAdES, CMS signature integrity", ("validate_sig_integrity",)),
    ("validation: PAdES, certificate path validation", ("validate_cert_usage",)),
    ("validation: PAdES, rest", ("verify_signatures",)),
    ("validation: reading the signature dictionaries (/Contents hex)", ("embedded_regular_signatures",)),
    ("validation: no active content (object walk)", ("check_no_active_content",)),
    ("validation: PDF/A declaration", ("read_pdfa_declaration",)),
    ("validation: opening the PDF (xref)", ("open_strict",)),
    ("validation: rest", ("_validate_sync",)),
    ("validation: trust roots, rest", ("valider_acte",)),
    ("blob: directory fsyncs", ("_fsync_dir",)),
    ("blob: publication (link, file fsync)", ("_publish",)),
    ("blob: body streamed, hashed, written", ("shared/blobs",)),
    ("httpx/httpcore: `import sniffio` attempted on every call", ("_find_and_load",)),
    ("RFC 3161 token", ("timestamp (",)),
    ("répertoire leaves and checkpoint", ("Repertoire.",)),
    ("transaction: acte, outbox, commit", ("enregistrer_envoi",)),
    ("registration of the deposit in progress", ("enregistrer_depot",)),
    ("consent verification (HTTP)", ("consentement",)),
    ("deposit, rest", ("deposer (",)),
    *_COMMUN_FIN,
]
_GREENLET = (
    "Session.",
    "AsyncSession.",
    "Connection.",
    "AsyncAdapt_",
    "TransactionalContext.",
    "Result.",
    "SessionTransaction.",
    "_StateChange.",
    "Cursor.",
    "greenlet_spawn",
    "ScalarResult.",
    "CursorResult.",
)


def _correspond(frames: list[str], motifs: tuple[str, ...]) -> bool:
    pile = ";".join(frames)
    for motif in motifs:
        if motif == "@greenlet":
            if not frames[0].startswith(_GREENLET) or "aiosqlite" in frames[0]:
                return False
        elif motif.startswith("@self:"):
            if not frames[-1].startswith(motif.removeprefix("@self:")):
                return False
        elif motif not in pile:
            return False
    return True


def classer(chemin: Path, regles: list[Regle]) -> collections.Counter[str]:
    comptes: collections.Counter[str] = collections.Counter()
    for ligne in chemin.read_text(errors="replace").splitlines():
        if not ligne.strip():
            continue
        pile, n = ligne.rsplit(" ", 1)
        frames = [f for f in pile.split(";") if not f.startswith(("thread ", "process "))]
        if frames:
            etape = next(nom for nom, motifs in regles if _correspond(frames, motifs))
            comptes[etape] += int(n)
    return comptes


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("banc", choices=["avis", "depot"])
    parser.add_argument("profil", type=Path, help="py-spy record --format raw output")
    args = parser.parse_args()
    comptes = classer(args.profil, AVIS if args.banc == "avis" else DEPOT)
    total = sum(comptes.values())
    inactifs = sum(n for etape, n in comptes.items() if etape.startswith("idle"))
    actifs = total - inactifs
    print(f"samples: {total}, idle: {inactifs}, busy: {actifs}")
    for etape, n in sorted(comptes.items(), key=lambda e: (e[0].startswith("idle"), -e[1])):
        part = "" if etape.startswith("idle") else f"{n / max(actifs, 1):6.1%}"
        print(f"  {n:7d} {part:>7}  {etape}")


if __name__ == "__main__":
    main()
