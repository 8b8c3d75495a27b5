"""Every bad deposit is refused with a 4xx, a stable code and a detail naming the failing check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from services.coffre.documents import (
    DocumentRefuse,
    PdfInvalide,
    SignatureInvalide,
    ValidationLimits,
    valider_acte,
)
from shared.errors import TropVolumineux
from shared.testing.pki import ThrowawayPki

from .conftest import NOW

REFUS = [
    # variant, error class, controle, words the French detail must contain
    ("jpeg", PdfInvalide, "format", "n'est pas un PDF"),
    ("vide", PdfInvalide, "format", "vide"),
    ("tronque", PdfInvalide, "structure", "tronqué"),
    ("chiffre", PdfInvalide, "chiffrement", "chiffré"),
    ("sans-pdfa", PdfInvalide, "pdfa", "pas déclaré PDF/A"),
    ("pdfa-incoherent", PdfInvalide, "pdfa", "incohérente"),
    ("javascript", PdfInvalide, "javascript", "JavaScript"),
    ("lancement", PdfInvalide, "action-active", "action Launch"),
    ("executable", PdfInvalide, "executable-joint", "exécutable"),
    ("executable-renomme", PdfInvalide, "executable-joint", "exécutable"),
    ("bombe-xmp", PdfInvalide, "decompression", "décompression"),
    ("non-signe", SignatureInvalide, "signature-absente", "aucune signature"),
    ("signature-alteree", SignatureInvalide, "signature-cryptographique", "valeur de signature"),
    ("contenu-modifie", SignatureInvalide, "integrite", "contenu signé a été modifié"),
    ("page-ajoutee", SignatureInvalide, "couverture", "ne couvre pas tout le fichier"),
    ("ac-inconnue", SignatureInvalide, "chaine-de-confiance", "autorité de confiance"),
    ("certificat-expire", SignatureInvalide, "certificat-validite", "a expiré"),
    ("certificat-futur", SignatureInvalide, "certificat-validite", "n'est valide qu'à partir"),
    ("signe-dans-le-futur", SignatureInvalide, "heure-signature", "postérieure"),
]


@pytest.mark.parametrize(("variante", "erreur", "controle", "mots"), REFUS, ids=[r[0] for r in REFUS])
async def test_variante_refusee(
    variantes: dict[str, bytes],
    pki: ThrowawayPki,
    deposer: Callable[[bytes], Path],
    variante: str,
    erreur: type[DocumentRefuse],
    controle: str,
    mots: str,
) -> None:
    with pytest.raises(erreur) as refus:
        await valider_acte(deposer(variantes[variante]), trust_roots=[pki.trusted_root_pem], at=NOW)

    error = refus.value
    assert type(error) is erreur
    assert error.status_code == 422
    assert error.code == ("pdf-invalide" if erreur is PdfInvalide else "signature-invalide")
    assert error.controle == controle
    assert error.detail.startswith(f"Contrôle « {controle} »")
    assert mots in error.detail
    problem = error.to_problem()
    assert problem["status"] == 422
    assert problem["controle"] == controle


async def test_variantes_all_differ_from_the_valid_acte(
    variantes: dict[str, bytes], acte_signe: bytes
) -> None:
    # Guards the table above: a builder that silently returned the valid acte would make a test vacuous.
    assert acte_signe not in variantes.values()
    assert {r[0] for r in REFUS} == set(variantes)


async def test_trop_volumineux(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    limits = ValidationLimits(max_bytes=len(acte_signe) - 1)
    with pytest.raises(TropVolumineux) as refus:
        await valider_acte(deposer(acte_signe), trust_roots=[pki.trusted_root], at=NOW, limits=limits)
    assert refus.value.status_code == 413
    assert "taille" in refus.value.detail


async def test_delai_depasse(acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]) -> None:
    limits = ValidationLimits(timeout_seconds=1e-6)
    with pytest.raises(PdfInvalide) as refus:
        await valider_acte(deposer(acte_signe), trust_roots=[pki.trusted_root], at=NOW, limits=limits)
    assert refus.value.controle == "delai"


async def test_trop_d_objets(acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]) -> None:
    limits = ValidationLimits(max_objects=3)
    with pytest.raises(PdfInvalide) as refus:
        await valider_acte(deposer(acte_signe), trust_roots=[pki.trusted_root], at=NOW, limits=limits)
    assert refus.value.controle == "structure"
    assert "plus de 3 objets" in refus.value.detail


async def test_only_the_configured_roots_are_trusted(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    # The same acte that passes with the trusted root fails when only the other root is configured.
    with pytest.raises(SignatureInvalide) as refus:
        await valider_acte(deposer(acte_signe), trust_roots=[pki.untrusted_root], at=NOW)
    assert refus.value.controle == "chaine-de-confiance"


async def test_revocation_required_refuses_certificates_without_revocation_info(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    # Production mode: the test certificates name no CRL or OCSP responder, so nothing can prove
    # they are not revoked (no network access is attempted: there is nowhere to fetch from).
    with pytest.raises(SignatureInvalide) as refus:
        await valider_acte(deposer(acte_signe), trust_roots=[pki.trusted_root], at=NOW, revocation="require")
    assert refus.value.controle == "chaine-de-confiance"


async def test_configuration_errors_are_not_refusals(
    acte_signe: bytes, pki: ThrowawayPki, deposer: Callable[[bytes], Path]
) -> None:
    path = deposer(acte_signe)
    with pytest.raises(ValueError, match="trust roots"):
        await valider_acte(path, trust_roots=[], at=NOW)
    with pytest.raises(ValueError, match="timezone"):
        await valider_acte(path, trust_roots=[pki.trusted_root], at=NOW.replace(tzinfo=None))
