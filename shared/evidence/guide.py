"""`VERIFIER.md`: how a third party checks a bundle by hand, in French then English.

Generated for each bundle from its own pieces, so the commands carry the real digests, paths, key
ids and fingerprints: a clerk can paste them into a terminal. It also says what no tool can decide
from the bundle alone: the trust anchors (TSA root, log key, seal keys) ship inside the bundle and
must be compared with the values the platform publishes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from shared.evidence import format as fmt
from shared.legal_time import rfc3339_utc
from shared.translog.rfc9162 import leaf_hash

_INCLUSION_PY = """\
import base64, hashlib, json
def h(*parts): return hashlib.sha256(b"".join(parts)).digest()
lines = open("journal/checkpoint.txt", encoding="utf-8").read().split("\\n")
size, root = int(lines[1]), base64.b64decode(lines[2])
for f in json.load(open("journal/feuilles.json")):
    fn, sn, r = f["index"], size - 1, h(b"\\0", base64.b64decode(f["donnees"]))
    for p in map(base64.b64decode, f["preuve"]):        # RFC 9162 §2.1.3.2
        if fn & 1 or fn == sn:
            r = h(b"\\1", p, r)
            while fn and not fn & 1: fn, sn = fn >> 1, sn >> 1
        else:
            r = h(b"\\1", r, p)
        fn, sn = fn >> 1, sn >> 1
    print(f["index"], "OK" if sn == 0 and r == root else "ECHEC")
"""

_JWS_PY = """\
import json, jwt   # PyJWT >= 2.4 with cryptography
jwks = json.load(open("cles/jwks.json"))
token = open("{path}").read().strip()
kid = jwt.get_unverified_header(token)["kid"]
key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
print(jwt.api_jws.decode(token, key.key, algorithms=["EdDSA"]).decode())
"""


def _json(files: Mapping[str, bytes], path: str) -> Any:
    return json.loads(files[path]) if path in files else None


def _tokens(files: Mapping[str, bytes], digests: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(token path, what was timestamped, hex digest) for each token."""
    rows = []
    for path in sorted(p for p in files if p.startswith(fmt.HORODATAGES) and p.endswith(".tsr")):
        meta = _json(files, path[:-4] + ".json") or {}
        objet = meta.get("objet")
        if isinstance(objet, str) and objet in files:
            rows.append((path, objet, hashlib.sha256(files[objet]).hexdigest()))
        elif isinstance(objet, str) and objet in digests:
            rows.append((path, objet, digests[objet]))
        else:
            rows.append((path, "sha256", str(meta.get("sha256", ""))))
    return rows


def _roots(files: Mapping[str, bytes]) -> list[str]:
    if fmt.TSA_RACINE not in files:
        return []
    return [
        f"`{c.subject.rfc4514_string()}` — SHA-256 `{c.fingerprint(hashes.SHA256()).hex()}`"
        for c in x509.load_pem_x509_certificates(files[fmt.TSA_RACINE])
    ]


def _leaves(files: Mapping[str, bytes]) -> list[str]:
    rows = []
    for leaf in _json(files, fmt.FEUILLES) or []:
        data = base64.b64decode(leaf["donnees"])
        try:
            content = json.loads(data)
            label = f"{content.get('type', '?')} {content.get('instant', '')}"
        except ValueError:
            label = "?"
        rows.append(f"| {leaf['index']} | {label} | `{leaf_hash(data).hex()}` |")
    return rows


def render_guide(
    files: Mapping[str, bytes],
    *,
    type_: str,
    sujet: str,
    genere_le: datetime,
    digests: Mapping[str, str] | None = None,
) -> bytes:
    """The guide for a bundle of `files`, plus the pieces not in memory by their hex SHA-256 (`digests`)."""
    tokens = _tokens(files, digests or {})
    jwks = _json(files, fmt.JWKS) or {"keys": []}
    kids = ", ".join(f"`{k.get('kid')}`" for k in jwks.get("keys", [])) or "—"
    cle = files.get(fmt.CLE_JOURNAL, b"").decode("utf-8").strip()
    coherence = _json(files, fmt.COHERENCE) or {}
    jws_files = sorted(p for p in files if p.endswith(".jws"))
    openssl = "\n".join(
        f"openssl ts -verify -digest {digest} -in {path} -CAfile {fmt.TSA_RACINE} -untrusted {fmt.TSA_CERT}"
        for path, _objet, digest in tokens
    )
    token_rows = "\n".join(f"| `{path}` | `{objet}` | `{digest}` |" for path, objet, digest in tokens)
    roots = "\n".join(f"- {r}" for r in _roots(files)) or "- —"
    leaves = "\n".join(_leaves(files))
    jws_code = "\n".join(_JWS_PY.format(path=p) for p in jws_files[:1])
    service = "coffre" if type_ == "acte" else "consent"
    sizes = f"{coherence.get('ancienne', '?')} → {coherence.get('nouvelle', '?')}"
    story = (
        "`recit.json`: dépôt ≤ envoi ≤ prise de connaissance ; mode `a_personne` si et seulement si la "
        "prise de connaissance a lieu le jour de l'envoi dans le fuseau du destinataire (CPC 662-1), "
        "sinon `a_domicile` avec une lettre simple due le premier jour ouvrable suivant."
        if type_ == "acte"
        else "`historique.json` : chaque entrée désigne une feuille (`index`) et son empreinte (`feuille`)."
    )
    story_en = (
        "`recit.json`: deposit ≤ sending ≤ prise de connaissance; mode `a_personne` if and only if the "
        "recipient opened the acte on the day it was sent, in the recipient's time zone (CPC 662-1), "
        "otherwise `a_domicile` with a lettre simple due on the next jour ouvrable."
        if type_ == "acte"
        else "`historique.json`: each entry names a leaf (`index`) and its leaf hash (`feuille`)."
    )
    text = f"""# Vérifier ce lot de preuves / Verifying this evidence bundle

Format `{fmt.FORMAT}` — type `{type_}` — sujet / subject `{sujet}` —
généré le / generated {rfc3339_utc(genere_le)}

## Français

Tout se vérifie hors ligne : `signif verify lot.zip` fait toutes les vérifications ci-dessous et
s'arrête à la première qui échoue. Chacune peut aussi être refaite avec des outils courants, après
`unzip lot.zip -d lot && cd lot`.

**Ancres de confiance.** Le lot contient ses propres clés : comparez-les avec celles que la
plateforme publie (`/{service}/v1/.well-known/jwks.json`, `/{service}/v1/journal/cle`, certificat de la TSA).
Une autorité « non qualifiée » (développement) ne vaut pas horodatage qualifié (eIDAS, art. 42).

1. **Intégrité** : `sha256sum -c SHA256SUMS` (tous les fichiers sauf `manifest.json`, qui liste
   chaque fichier avec son SHA-256 et sa taille, `SHA256SUMS` compris).
2. **Horodatages RFC 3161** (jetons `.tsr` en DER ; l'empreinte est le SHA-256 de l'objet horodaté,
   `sha256sum <objet>`) — chaque commande doit afficher `Verification: OK` :

```
{openssl}
```

| jeton / token | objet / object | SHA-256 |
|---|---|---|
{token_rows}

   Racine(s) de la TSA (`{fmt.TSA_RACINE}`) :
{roots}

3. **Signatures JWS** (EdDSA, RFC 7515/8037) : {", ".join(f"`{p}`" for p in jws_files) or "—"}, avec
   la clé de `cles/jwks.json` dont le `kid` figure dans l'en-tête ({kids}). Par exemple :

```python
{jws_code}```

4. **Journal** (RFC 9162, arbre de Merkle SHA-256 ; feuille = SHA-256(0x00 ‖ données), nœud =
   SHA-256(0x01 ‖ gauche ‖ droite)) :
   - `journal/checkpoint.txt` est une note signée C2SP (Ed25519) à vérifier avec la clé
     `{cle}` (`journal/cle.txt`), par exemple avec `golang.org/x/mod/sumdb/note` (`note.Open`) ;
     ligne 2 : taille de l'arbre, ligne 3 : racine (base64) ;
   - chaque feuille de `journal/feuilles.json` (`donnees` en base64, `preuve` = chemin d'audit)
     s'inclut dans cette racine : tout vérificateur RFC 9162 (`github.com/transparency-dev/merkle`,
     `proof.VerifyInclusion`), ou ce script Python sans dépendance :

```python
{_INCLUSION_PY}```

   - `journal/coherence.json` prouve (RFC 9162 §2.1.4, `proof.VerifyConsistency`) que l'arbre de
     `checkpoint.txt` est un préfixe de celui de `checkpoint-dernier.txt` (tailles {sizes}), lui aussi signé ;
   - les feuilles au format 2 (`"v":2`) ne nomment la déclaration que par un engagement salé
     (`declaration_engagement` = SHA-256(sel ‖ identifiant), en hexadécimal) ; `journal/ouvertures.json`
     donne, pour chaque feuille du lot, le sel et l'identifiant qui le rouvrent :
     `(printf '%s' <sel> | xxd -r -p; printf '%s' <valeur>) | sha256sum` doit redonner le champ de la feuille.

| index | type, instant | SHA-256 de la feuille / leaf hash |
|---|---|---|
{leaves}

5. **Cohérence du récit** : {story}
   Le checkpoint auquel mènent les preuves est horodaté : `horodatages/checkpoint.tsr` porte sur
   `journal/checkpoint-dernier.txt` (commande `openssl ts -verify` ci-dessus) ; son instant (`openssl ts
   -reply -in horodatages/checkpoint.tsr -text`, ligne `Time stamp`) doit suivre le champ `instant` de
   chaque feuille (à la seconde près) ; la plateforme publie les mêmes note et jeton
   (`/{service}/v1/journal/horodatages/couvrant?taille=<taille>`). Les documents scellés émis
   (`documents/index.json`) sont chacun égaux (`sha256sum`) au SHA-256 de leur feuille `document` ;
   la version `en_vigueur` est la dernière.
6. **Signatures des PDF** (poppler `pdfsig`, openssl) :
   - `pdfsig -nocert acte/document.pdf` puis, pour chaque PDF scellé (`certificat/certificat.pdf`,
     `avis/reception.pdf`, `documents/*.pdf`), `pdfsig -nocert <pdf>` : chaque signature doit afficher
     `Signature Validation: Signature is Valid.` et la dernière `Total document signed` (un octet
     modifié dans la plage signée donne `Digest Mismatch`) ;
   - le certificat du cachet est le premier de `confiance/sceau.pem`, sa racine le dernier :
     `openssl x509 -in confiance/sceau.pem -noout -subject -fingerprint -sha256`, puis
     `openssl verify -CAfile confiance/sceau.pem confiance/sceau.pem` doit afficher `OK` (le cachet
     expiré depuis : ajouter `-attime <instant de l'horodatage du cachet, en secondes Unix>`, car un
     cachet se vérifie à l'instant où il a été apposé, ce que fait `signif verify`) ; le nom affiché par
     `pdfsig` (`Signer Certificate Common Name`) doit être ce sujet ;
   - la signature de l'acte remonte à une racine de `confiance/actes-racines.pem` : avec une base NSS
     qui la contient (`certutil -A -d sql:nss -n racine -t C,, -i confiance/actes-racines.pem`),
     `pdfsig -nssdir sql:nss acte/document.pdf` affiche `Certificate is Trusted.` ; `signif verify` le
     vérifie à l'instant du dépôt, sans réseau.

## English

Everything checks offline: `signif verify bundle.zip` runs every check below and stops at the first
failure. Each can be redone with standard tools after `unzip bundle.zip -d bundle && cd bundle`.

**Trust anchors.** The bundle carries its own keys: compare them with those the platform publishes
(`/{service}/v1/.well-known/jwks.json`, `/{service}/v1/journal/cle`, the TSA certificate). A "non
qualifiée" (development) authority is not a qualified timestamp (eIDAS art. 42).

1. **Integrity**: `sha256sum -c SHA256SUMS` (every file but `manifest.json`, which lists every file
   with its SHA-256 and size, `SHA256SUMS` included).
2. **RFC 3161 timestamps**: run the `openssl ts -verify` commands above; each must print
   `Verification: OK`. The digest is the SHA-256 of the timestamped object (`sha256sum <object>`).
3. **JWS signatures** (EdDSA, RFC 7515/8037): verify each `.jws` with the key of `cles/jwks.json`
   whose `kid` is in its header, with any JOSE library (example above), and read its JSON payload.
4. **Log** (RFC 9162): verify the C2SP signed note `journal/checkpoint.txt` with the vkey in
   `journal/cle.txt`; verify each leaf's inclusion proof against its root (line 3, base64) and size
   (line 2), with any RFC 9162 verifier or the script above; verify the consistency proof in
   `journal/coherence.json` between `checkpoint.txt` and `checkpoint-dernier.txt` (also signed).
   Format 2 leaves (`"v":2`) name the declaration only by a salted commitment (`declaration_engagement`
   = hex SHA-256(salt ‖ id)); `journal/ouvertures.json` gives each leaf's salt and id:
   `(printf '%s' <sel> | xxd -r -p; printf '%s' <valeur>) | sha256sum` must give the leaf's field back.
5. **Coherent story**: {story_en}
   The checkpoint the proofs lead to is timestamped: `horodatages/checkpoint.tsr` is over
   `journal/checkpoint-dernier.txt` (`openssl ts -verify` above); its instant (`openssl ts -reply -in
   horodatages/checkpoint.tsr -text`, `Time stamp`) must follow every leaf's `instant` (to the second);
   the platform publishes the same note and token
   (`/{service}/v1/journal/horodatages/couvrant?taille=<size>`). Each issued sealed document
   (`documents/index.json`) hashes (`sha256sum`) to the SHA-256 of its `document` leaf; the
   `en_vigueur` version is the last one.
6. **PDF signatures** (poppler `pdfsig`, openssl): `pdfsig -nocert <pdf>` on `acte/document.pdf` and on
   every sealed PDF must print `Signature Validation: Signature is Valid.` and, for the last signature,
   `Total document signed` (a changed byte gives `Digest Mismatch`). The seal certificate is the first
   of `confiance/sceau.pem`, its root the last: `openssl verify -CAfile confiance/sceau.pem
   confiance/sceau.pem` must print `OK` (once the seal has expired, add `-attime <the seal's timestamp, Unix
   seconds>`: a seal is checked at the instant it was applied, as `signif verify` does), and its subject
   is the `Signer Certificate Common Name`
   `pdfsig` shows. The acte's signature chains to a root of `confiance/actes-racines.pem`: with an NSS
   database holding it (`certutil -A -d sql:nss -n racine -t C,, -i confiance/actes-racines.pem`),
   `pdfsig -nssdir sql:nss acte/document.pdf` prints `Certificate is Trusted.`; `signif verify` checks it
   at the deposit instant, offline.
"""
    return text.encode("utf-8")
