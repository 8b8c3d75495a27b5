"""Step 5 of the verifier: the instants tell one coherent story, and the log backs it.

Acte bundles (`recit.json`):
- `depose_le ≤ envoye_le ≤ pris_connaissance_le ≤ genere_le` (a prise de connaissance needs an envoi);
- `acte/document.pdf` hashes to `recit.sha256`, as does the validation report when it names one;
- every leaf is about this acte; the `depot`, `envoi` and `prise_connaissance` leaves (at most one
  each) carry the story's instants and hash, each non-null instant of the story is backed by its
  leaf, and the `mode` leaf carries the story's mode (see `shared.evidence.format`);
- CPC 662-1 in the destinataire's zone (`fuseau`, `subdivision_feries`): `a_personne` if and only
  if the prise de connaissance falls on the local day of the envoi; a mode cannot be fixed before the
  envoi, nor `a_domicile` before that day ends; `a_domicile` needs a lettre simple due on
  `premier_jour_ouvrable_apres(that day)`, and only then is there one; it is not posted before the envoi;
- the records in `avis/` and `lettre-simple/` agree with the story where they overlap.

- the checkpoint the proofs lead to is timestamped after every leaf (`leaf_contents.check_ancrage`).

Registre bundles: `shared.evidence.registre_check`.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.evidence import format as fmt
from shared.evidence._context import Context, Failure
from shared.evidence.archive import sha256_hex
from shared.evidence.leaf_contents import check_ancrage, leaf_contents
from shared.evidence.leaf_contents import compare_instant as compare_instant  # re-exported
from shared.evidence.registre_check import check_registre
from shared.legal_time import est_jour_ouvrable, fin_du_jour, jour_legal, premier_jour_ouvrable_apres

_LEAF_INSTANTS = {"depot": "depose_le", "envoi": "envoye_le", "prise_connaissance": "pris_connaissance_le"}


@dataclass(frozen=True)
class _Territoire:
    fuseau: str
    subdivision_feries: str | None


def check_story(ctx: Context) -> Iterator[tuple[str, str]]:
    if ctx.type == "registre":
        yield from check_registre(ctx)
    else:
        yield from _acte(ctx)


def _territoire(recit: fmt.Recit) -> _Territoire:
    try:
        ZoneInfo(recit.fuseau)
        territoire = _Territoire(recit.fuseau, recit.subdivision_feries)
        est_jour_ouvrable(date(2026, 1, 1), territoire)  # loads the holiday calendar
    except (ZoneInfoNotFoundError, ValueError, NotImplementedError) as exc:
        raise Failure(
            fmt.RECIT, f"fuseau ou subdivision inconnus : {recit.fuseau}, {recit.subdivision_feries}"
        ) from exc
    return territoire


def _order(ctx: Context, recit: fmt.Recit) -> str:
    steps = [("depose_le", recit.depose_le), ("envoye_le", recit.envoye_le)]
    steps += [("pris_connaissance_le", recit.pris_connaissance_le)]
    if recit.envoye_le is None and recit.pris_connaissance_le is not None:
        raise Failure(fmt.RECIT, "prise de connaissance sans envoi")
    present = [(name, at) for name, at in steps if at is not None]
    present.append(("genere_le (manifeste)", ctx.genere_le or recit.depose_le))
    for (before, a), (after, b) in itertools.pairwise(present):
        if a > b:
            raise Failure(
                fmt.RECIT, f"{before} ({fmt.rfc3339_utc(a)}) est postérieur à {after} ({fmt.rfc3339_utc(b)})"
            )
    return " ≤ ".join(f"{name} {fmt.rfc3339_utc(at)}" for name, at in present[:-1])


def _acte(ctx: Context) -> Iterator[tuple[str, str]]:
    recit = ctx.recit
    if recit.acte_id != ctx.sujet:
        raise Failure(fmt.RECIT, f"acte_id {recit.acte_id!r} ≠ sujet du manifeste {ctx.sujet!r}")
    territoire = _territoire(recit)
    yield fmt.RECIT, f"chronologie cohérente : {_order(ctx, recit)}"
    digest = sha256_hex(ctx.file(fmt.ACTE))
    if digest != recit.sha256:
        raise Failure(fmt.ACTE, f"SHA-256 {digest}, le récit dit {recit.sha256}")
    yield fmt.ACTE, "SHA-256 égal à celui du récit"
    if fmt.RAPPORT in ctx.files and ctx.json(fmt.RAPPORT).get("sha256", recit.sha256) != recit.sha256:
        raise Failure(fmt.RAPPORT, "le rapport de validation porte sur un autre document")
    yield from _leaves(ctx, recit, territoire)
    yield from _mode(recit, territoire)
    yield from _records(ctx, recit)
    yield from _documents(ctx)
    yield from check_ancrage(ctx)


def _leaves(ctx: Context, recit: fmt.Recit, territoire: _Territoire) -> Iterator[tuple[str, str]]:
    by_type: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, content in leaf_contents(ctx):
        piece = f"{fmt.FEUILLES} (feuille {index})"
        if content.get("acte_id") != recit.acte_id:
            raise Failure(piece, f"feuille d'un autre acte ({content.get('acte_id')!r})")
        if content.get("declaration_id", recit.declaration_id) != recit.declaration_id:
            raise Failure(piece, f"declaration_id {content.get('declaration_id')!r} ≠ récit")
        by_type.setdefault(content["type"], []).append((index, content))
    for type_, key in (*_LEAF_INSTANTS.items(), ("mode", "mode")):
        found = by_type.get(type_, [])
        expected = getattr(recit, key)
        if len(found) > 1:
            raise Failure(fmt.FEUILLES, f"plusieurs feuilles {type_} ({', '.join(str(i) for i, _ in found)})")
        if expected is not None and not found:
            raise Failure(fmt.FEUILLES, f"aucune feuille {type_} n'atteste {key} du récit")
        if not found:
            continue
        index, content = found[0]
        piece = f"{fmt.FEUILLES} (feuille {index}, {type_})"
        if type_ == "mode":
            _mode_leaf(piece, content, recit, territoire)
            continue
        compare_instant(piece, "instant", content["instant"], expected)
        if content.get("sha256", recit.sha256) != recit.sha256:
            raise Failure(piece, f"sha256 {content['sha256']}, le récit dit {recit.sha256}")
    attested = ", ".join(t for t in (*_LEAF_INSTANTS, "mode") if t in by_type)
    yield fmt.FEUILLES, f"les feuilles ({attested}) portent les instants, l'empreinte et le mode du récit"
    yield from _lettre_leaves(by_type.get("lettre_simple", []), recit)


def _lettre_leaves(found: list[tuple[int, dict[str, Any]]], recit: fmt.Recit) -> Iterator[tuple[str, str]]:
    """The postings of the lettre simple: a chain where each correction names the leaf it corrects,
    and the one left uncorrected (the current record) is the story's posting."""
    if not found:
        return
    indexes = {index for index, _ in found}
    corriges: dict[int, int] = {}
    for index, content in found:
        cible = content.get("corrige")
        if cible is None:
            continue
        piece = f"{fmt.FEUILLES} (feuille {index}, lettre_simple)"
        if not isinstance(cible, int) or cible not in indexes or cible >= index:
            raise Failure(piece, f"corrige {cible!r} : aucune feuille lettre_simple antérieure de ce numéro")
        if cible in corriges:
            raise Failure(piece, f"la feuille {cible} est corrigée deux fois ({corriges[cible]} et {index})")
        corriges[cible] = index
    courantes = [(i, c) for i, c in found if i not in corriges]
    premieres = [i for i, c in found if c.get("corrige") is None]
    if len(courantes) != 1 or len(premieres) != 1:
        raise Failure(
            fmt.FEUILLES,
            "enregistrements de la lettre simple non chaînés "
            f"(feuilles {', '.join(str(i) for i, _ in found)})",
        )
    index, content = courantes[0]
    posted = recit.lettre_simple.to_json()["envoyee_le"] if recit.lettre_simple else None
    if content.get("envoyee_le") != posted:
        raise Failure(
            f"{fmt.FEUILLES} (feuille {index}, lettre_simple)",
            f"envoyee_le {content.get('envoyee_le')!r}, le récit dit {posted!r}",
        )
    if corriges:
        yield (
            fmt.FEUILLES,
            f"lettre simple : {len(corriges)} correction(s) chaînée(s) ; l'enregistrement en vigueur "
            f"(feuille {index}, posté le {posted}) est celui du récit",
        )
    else:
        yield fmt.FEUILLES, f"lettre simple : feuille {index} (postée le {posted}) conforme au récit"


def _mode_leaf(piece: str, content: Mapping[str, Any], recit: fmt.Recit, territoire: _Territoire) -> None:
    if recit.mode is None:
        raise Failure(piece, "mode journalisé alors que le récit n'en a pas")
    if content.get("mode") != recit.mode:
        raise Failure(piece, f"mode {content.get('mode')!r}, le récit dit {recit.mode!r}")
    due = recit.lettre_simple.due_le.isoformat() if recit.lettre_simple else None
    if content.get("lettre_simple_due_le", due) != due:
        raise Failure(
            piece, f"lettre simple due le {content.get('lettre_simple_due_le')}, le récit dit {due}"
        )
    fixed = fmt.parse_instant(content["instant"], "instant")
    if recit.envoye_le is None or fixed < recit.envoye_le:
        raise Failure(piece, f"mode fixé le {fmt.rfc3339_utc(fixed)}, avant l'envoi")
    fin = fin_du_jour(jour_legal(recit.envoye_le, territoire), territoire)
    if recit.mode == "a_domicile" and fixed < fin:
        raise Failure(piece, f"à domicile fixé le {fmt.rfc3339_utc(fixed)}, avant la fin du jour de l'envoi")


def _mode(recit: fmt.Recit, territoire: _Territoire) -> Iterator[tuple[str, str]]:
    if recit.mode is None:
        if recit.lettre_simple is not None:
            raise Failure(fmt.RECIT, "lettre simple sans mode fixé")
        yield fmt.RECIT, "mode pas encore fixé"
        return
    if recit.envoye_le is None:
        raise Failure(fmt.RECIT, "mode fixé sans envoi")
    jour = jour_legal(recit.envoye_le, territoire)
    pris = recit.pris_connaissance_le
    jour_pris = jour_legal(pris, territoire) if pris is not None else None
    attendu = "a_personne" if jour_pris == jour else "a_domicile"
    vu = f"le {jour_pris}" if jour_pris else "aucune"
    constat = f"envoi le {jour}, prise de connaissance {vu} ({territoire.fuseau})"
    if recit.mode != attendu:
        raise Failure(
            fmt.RECIT,
            f"mode {recit.mode} contraire à la règle du même jour (CPC 662-1) : {constat}, {attendu} attendu",
        )
    yield fmt.RECIT, f"mode {recit.mode} conforme à la règle du même jour (CPC 662-1) : {constat}"
    lettre = recit.lettre_simple
    if recit.mode == "a_personne":
        if lettre is not None:
            raise Failure(fmt.RECIT, "lettre simple pour une signification à personne")
        return
    if lettre is None:
        raise Failure(fmt.RECIT, "signification à domicile sans lettre simple (CPC 662-1)")
    due = premier_jour_ouvrable_apres(jour, territoire)
    if lettre.due_le != due:
        raise Failure(
            fmt.RECIT, f"lettre simple due le {lettre.due_le}, premier jour ouvrable après le {jour} : {due}"
        )
    envoyee = lettre.envoyee_le
    if isinstance(envoyee, datetime):
        envoyee = jour_legal(envoyee, territoire)
    if envoyee is not None and envoyee < jour:
        raise Failure(fmt.RECIT, f"lettre simple envoyée le {envoyee}, avant l'envoi de l'acte ({jour})")
    yield (
        fmt.RECIT,
        f"lettre simple due le {due} (premier jour ouvrable après le {jour}), envoyée : {envoyee or 'non'}",
    )


def _records(ctx: Context, recit: fmt.Recit) -> Iterator[tuple[str, str]]:
    if fmt.AVIS_MAD in ctx.files:
        avis = ctx.json(fmt.AVIS_MAD)
        if avis.get("acte_id", recit.acte_id) != recit.acte_id:
            raise Failure(fmt.AVIS_MAD, f"avis d'un autre acte ({avis.get('acte_id')!r})")
        if "envoye_le" in avis and avis["envoye_le"] is not None and recit.envoye_le is not None:
            sent = _instant(fmt.AVIS_MAD, avis["envoye_le"])
            if sent < recit.envoye_le:
                raise Failure(
                    fmt.AVIS_MAD, f"avis envoyé le {fmt.rfc3339_utc(sent)}, avant l'envoi de l'acte"
                )
        yield fmt.AVIS_MAD, "avis de mise à disposition cohérent avec le récit"
    if fmt.LETTRE_SIMPLE in ctx.files:
        record = ctx.json(fmt.LETTRE_SIMPLE)
        expected = recit.lettre_simple.to_json() if recit.lettre_simple else None
        if expected is None:
            raise Failure(fmt.LETTRE_SIMPLE, "lettre simple alors que le récit n'en a pas")
        for key in ("due_le", "envoyee_le"):
            if key in record and record[key] != expected[key]:
                raise Failure(fmt.LETTRE_SIMPLE, f"{key} {record[key]!r}, le récit dit {expected[key]!r}")
        yield from _envois(ctx, record.get("envois", []))
        yield fmt.LETTRE_SIMPLE, "lettre simple conforme au récit"


_CHEMINS_COURANTS = {"avis_reception": fmt.AVIS_RECEPTION_PDF, "certificat": fmt.CERTIFICAT}


def _documents(ctx: Context) -> Iterator[tuple[str, str]]:
    """Each issued version of a sealed document is the one its `document` leaf names (same SHA-256),
    versions run 1..n per type, the current one is the last, and every `document` leaf is listed."""
    contents = dict(leaf_contents(ctx))
    feuilles = {i for i, c in contents.items() if c.get("type") == "document"}
    if fmt.DOCUMENTS_INDEX not in ctx.files:
        if feuilles:
            raise Failure(fmt.FEUILLES, f"feuilles document sans {fmt.DOCUMENTS_INDEX} : {sorted(feuilles)}")
        return
    try:
        entrees = fmt.json_value(ctx.files[fmt.DOCUMENTS_INDEX], "contenu")
    except fmt.FormatError as exc:
        raise Failure(fmt.DOCUMENTS_INDEX, str(exc)) from exc
    if not isinstance(entrees, list) or not all(isinstance(e, dict) for e in entrees):
        raise Failure(fmt.DOCUMENTS_INDEX, "liste d'objets attendue")
    par_type: dict[str, list[dict[str, Any]]] = {}
    for e in entrees:
        chemin, index = e.get("chemin"), e.get("journal_index")
        if not isinstance(chemin, str) or chemin not in ctx.files or not chemin.startswith(fmt.DOCUMENTS):
            raise Failure(fmt.DOCUMENTS_INDEX, f"document absent du lot : {chemin!r}")
        if sha256_hex(ctx.files[chemin]) != e.get("sha256"):
            raise Failure(chemin, f"SHA-256 {sha256_hex(ctx.files[chemin])}, l'index dit {e.get('sha256')!r}")
        feuille = contents.get(index) if isinstance(index, int) else None
        if feuille is None or feuille.get("type") != "document":
            raise Failure(chemin, f"aucune feuille document n° {index!r} dans le lot")
        for cle, valeur in (
            ("document", e.get("type")),
            ("version", e.get("version")),
            ("sha256", e.get("sha256")),
        ):
            if feuille.get(cle) != valeur:
                raise Failure(chemin, f"{cle} {valeur!r}, la feuille {index} dit {feuille.get(cle)!r}")
        feuilles.discard(index)
        par_type.setdefault(str(e.get("type")), []).append(e)
    if feuilles:
        raise Failure(fmt.DOCUMENTS_INDEX, f"feuilles document absentes de l'index : {sorted(feuilles)}")
    for type_, versions in sorted(par_type.items()):
        numeros = [v.get("version") for v in versions]
        if sorted(numeros, key=lambda n: n if isinstance(n, int) else -1) != list(
            range(1, len(versions) + 1)
        ):
            raise Failure(fmt.DOCUMENTS_INDEX, f"{type_} : versions {numeros}, 1 à {len(versions)} attendues")
        courantes = [v for v in versions if v.get("en_vigueur") is True]
        if len(courantes) != 1 or courantes[0].get("version") != len(versions):
            raise Failure(
                fmt.DOCUMENTS_INDEX, f"{type_} : la version en vigueur doit être la dernière, et seule"
            )
        courant = _CHEMINS_COURANTS.get(type_)
        if courant in ctx.files and ctx.files[courant] != ctx.files[courantes[0]["chemin"]]:
            raise Failure(courant, f"diffère de la version en vigueur ({courantes[0]['chemin']})")
        yield (
            fmt.DOCUMENTS_INDEX,
            f"{type_} : {len(versions)} version(s) émise(s), chacune égale à sa feuille du journal ; "
            f"en vigueur : v{len(versions)}",
        )


def _envois(ctx: Context, envois: object) -> Iterator[tuple[str, str]]:
    """Each recorded posting of `lettre-simple.json` is its leaf: same date, same corrected leaf,
    and a reason whose SHA-256 is the one the leaf committed to."""
    if not isinstance(envois, list):
        raise Failure(fmt.LETTRE_SIMPLE, "« envois » : liste attendue")
    contents = dict(leaf_contents(ctx))
    for envoi in envois:
        index = envoi.get("journal_index") if isinstance(envoi, dict) else None
        if not isinstance(envoi, dict) or not isinstance(index, int) or index not in contents:
            raise Failure(fmt.LETTRE_SIMPLE, f"envoi sans feuille du journal dans le lot : {envoi!r}"[:200])
        feuille = contents[index]
        if feuille.get("type") != "lettre_simple" or feuille.get("envoyee_le") != envoi.get("envoyee_le"):
            raise Failure(fmt.LETTRE_SIMPLE, f"envoi {envoi.get('envoyee_le')!r} ≠ feuille {index}")
        if feuille.get("corrige") != envoi.get("corrige"):
            raise Failure(
                fmt.LETTRE_SIMPLE, f"envoi de la feuille {index} : correction différente de la feuille"
            )
        motif = envoi.get("motif")
        empreinte = hashlib.sha256(motif.encode("utf-8")).hexdigest() if isinstance(motif, str) else None
        if feuille.get("motif_sha256") != empreinte:
            raise Failure(fmt.LETTRE_SIMPLE, f"motif de la feuille {index} : SHA-256 différent de la feuille")
        if envoi.get("corrige") is not None:
            yield (
                fmt.LETTRE_SIMPLE,
                f"correction (feuille {index}) de la feuille {envoi['corrige']} : « {motif} »",
            )


def _instant(piece: str, value: object) -> datetime:
    try:
        return fmt.parse_instant(value, "instant")
    except fmt.FormatError as exc:
        raise Failure(piece, str(exc)) from exc
