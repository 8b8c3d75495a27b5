"""bench/flux's printed figures: the steps, the CPU per request of each process, the paths beside
their floor, the goals, and the capacity the national peak needs at the measured CPU costs."""

from __future__ import annotations

import argparse
import math
import os
import statistics

from bench.commun import centile
from bench.flux.releve import PG_TOUT

ETAPES = (
    "depot",
    "webhook_envoye",
    "connexion",
    "code_courriel",
    "code",
    "espace",
    "telechargement",
    "webhook_pris_connaissance",
)


def ligne_etape(nom: str, durees: list[float]) -> str:
    if not durees:
        return f"{nom:<26} {0:>5}"
    return (
        f"{nom:<26} {len(durees):>5} {statistics.median(durees) * 1000:>9.1f} "
        f"{centile(durees, 0.99) * 1000:>9.1f} {max(durees) * 1000:>9.1f}"
    )


def ms_par_requete(
    debits: dict[str, tuple[int, float]], cpu: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Path → process → CPU milliseconds per request of that path."""
    return {p: {nom: s / debits[p][0] * 1000 for nom, s in cpu[p].items()} for p in ("depot", "retrait")}


def rapport(
    etapes: dict[str, list[float]],
    args: argparse.Namespace,
    debits: dict[str, tuple[int, float]],
    cpu: dict[str, dict[str, float]],
    planchers: dict[str, tuple[list[float], float]],
    charges: list[float],
) -> None:
    print(f"\n{'step':<26} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    for etape in ETAPES:
        print(ligne_etape(etape, etapes[etape]))

    ms = ms_par_requete(debits, cpu)
    print(f"\n{'CPU ms per request':<26} {'deposit':>9} {'download':>9}")
    for nom in [n for n in cpu["depot"] if n != PG_TOUT] + [PG_TOUT]:
        print(f"{nom:<26} {ms['depot'][nom]:>9.2f} {ms['retrait'][nom]:>9.2f}")
    # Every process once: the per-database backends are part of "all processes".
    totaux = [sum(v for n, v in ms[p].items() if not n.startswith("postgres ")) + ms[p][PG_TOUT] for p in ms]
    print(f"{'total (processes + all PG)':<26} {totaux[0]:>9.2f} {totaux[1]:>9.2f}")

    print(f"\n{'path':<44} {'n':>5} {'/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    libelles = {
        "depot": (f"deposits, 1 MB, {args.concurrence} in flight", "floor: S3 put 1 MB (SHA-256) + INSERT"),
        "retrait": (
            f"first downloads, {args.retraits_concurrence} in flight",
            "floor: S3 get 1 MB (SHA-256) + INSERT",
        ),
    }
    debit: dict[str, float] = {}
    for chemin, etape in (("depot", "depot"), ("retrait", "telechargement")):
        n, duree = debits[chemin]
        debit[chemin] = n / duree
        d, (p, p_duree) = etapes[etape], planchers[chemin]
        for libelle, durees, par_s in (
            (libelles[chemin][0], d, debit[chemin]),
            (libelles[chemin][1], p, len(p) / p_duree),
        ):
            print(
                f"{libelle:<44} {len(durees):>5} {par_s:>8.1f} {statistics.median(durees) * 1000:>8.1f} "
                f"{centile(durees, 0.99) * 1000:>8.1f}"
            )
        print(f"{'  ratio to the floor':<44} {'':>5} {debit[chemin] / (len(p) / p_duree):>8.2f}")

    print(
        f"\nload average (1 min): {', '.join(f'{c:.2f}' for c in charges)} (start, after deposits, "
        f"after downloads; {os.cpu_count()} CPUs)"
    )
    atteint = {True: "met", False: "not met"}
    print(
        f"goals (issue 17): ≥ 60 deposits/s {atteint[debit['depot'] >= 60]} ({debit['depot']:.1f}); "
        f"≥ 100 first downloads/s {atteint[debit['retrait'] >= 100]} ({debit['retrait']:.1f})"
    )


def capacite(
    args: argparse.Namespace, debits: dict[str, tuple[int, float]], cpu: dict[str, dict[str, float]]
) -> None:
    """Cores = (D × ms per deposit + R × ms per first download + C × ms per consent check) / 1000;
    processes = ceil(cores / u), at least 2 (a Python process uses one core at most)."""
    ms = ms_par_requete(debits, cpu)
    d, r, c, u = args.pic_depots, args.pic_retraits, args.pic_consultations, args.utilisation
    consultation_serveur, consultation_pg = args.consultation_ms
    workers = [n for n in ms["depot"] if n.startswith("worker-")]
    groupes: list[tuple[str, list[str], float, bool]] = [
        ("consent", ["consent"], consultation_serveur, True),
        ("coffre", ["coffre"], 0.0, True),
        ("notify", ["notify"], 0.0, True),
        ("signif worker", workers, 0.0, True),
        ("postgres consent", ["postgres consent"], consultation_pg, False),
        ("postgres coffre", ["postgres coffre"], 0.0, False),
        ("postgres notify", ["postgres notify"], 0.0, False),
        (PG_TOUT, [PG_TOUT], consultation_pg, False),
    ]
    print(
        f"\ncapacity at the peak: {d:.0f} deposits/s, {r:.0f} first downloads/s, {c:.0f} consent checks/s "
        f"({consultation_serveur} + {consultation_pg} ms each), cores busy at most {u:.0%}"
    )
    a_u = f"at {u:.0%}"
    print(
        f"{'process':<26} {'deposit':>8} {'download':>8} {'check':>6} {'cores':>7} {a_u:>7} {'processes':>9}"
    )
    for nom, membres, par_consultation, processus in groupes:
        par_depot = sum(ms["depot"][m] for m in membres)
        par_retrait = sum(ms["retrait"][m] for m in membres)
        coeurs = (d * par_depot + r * par_retrait + c * par_consultation) / 1000
        nombre = f"{max(2, math.ceil(coeurs / u)):>9}" if processus else f"{'-':>9}"
        print(
            f"{nom:<26} {par_depot:>8.2f} {par_retrait:>8.2f} {par_consultation:>6.2f} {coeurs:>7.2f} "
            f"{coeurs / u:>7.2f} {nombre}"
        )
