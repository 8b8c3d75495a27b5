"""`signif`: the one command-line entry point.

signif serve [consent|coffre|notify]   the embedded deployment (all three on one port), or one service
signif worker                          job runners and outbox relays, for distributed deployments
signif migrate                         apply every service's migrations
signif token issue --role R --sub S    mint a JWT with the deployment's development issuer key
signif consent purge [--dry-run]       the consent registry's 5-year retention purge
signif dev sign --in a.pdf --out b.pdf make it PDF/A-2b if need be, sign it with the demo certificate
signif verify lot.zip                  check an evidence bundle offline (exit 0 only if every check holds)
signif demo [--url URL]                the whole story against a running `make run`, step by step
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import Any

from shared.settings import BaseServiceSettings
from shared.third_party import silence_known_warnings

SERVICES = ("consent", "coffre", "notify")


def _settings(service: str) -> BaseServiceSettings:
    if service == "consent":
        from services.consent.settings import ConsentSettings

        return ConsentSettings()
    if service == "coffre":
        from services.coffre.settings import CoffreSettings

        return CoffreSettings()
    from services.notify.settings import NotifySettings

    return NotifySettings()


def _create_app(service: str, settings: BaseServiceSettings) -> Any:
    module = __import__(f"services.{service}.app", fromlist=["create_app"])
    return module.create_app(settings)


def cmd_migrate(args: argparse.Namespace) -> int:
    from shared.migrate import upgrade

    for service in args.services or SERVICES:
        settings = _settings(service)
        asyncio.run(upgrade(service, settings.effective_database_url))
        print(f"{service}: migrations appliquées ({settings.effective_database_url.split('@')[-1]})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from shared.observability import configure_logging
    from shared.serveur import OPTIONS_UVICORN, protocole_borne
    from signif.embedded import SERVICES as EMBARQUES
    from signif.embedded import adresse_ecoute, create_embedded_app, urls_derivees

    settings = _settings(args.service or "consent")
    configure_logging(settings.log_level, json_logs=settings.log_json)
    ecoute = adresse_ecoute(args.host, args.port)
    derivees = urls_derivees(settings, ecoute, embarque=args.service is None)
    publique = derivees.get("public_url", settings.public_url)
    app: Any
    if args.service:
        app = _create_app(args.service, settings.model_copy(update=derivees))
    else:
        app = create_embedded_app(overrides={s: dict(derivees) for s in EMBARQUES})
        print(
            f"Signif (déploiement embarqué) sur {publique} — "
            f"/consent/docs, /coffre/docs, /notify/docs ; données sous {settings.var_dir}/",
            file=sys.stderr,
        )
    if "public_url" in derivees and args.host != "127.0.0.1" and publique.startswith("http://127.0.0.1"):
        print(
            f"SIGNIF_PUBLIC_URL n'est pas défini : les liens des courriels pointent vers {publique}, "
            "joignable de cette machine seulement.",
            file=sys.stderr,
        )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        http=protocole_borne(settings.limites_http),
        **OPTIONS_UVICORN,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from shared.observability import configure_logging

    services = args.services or SERVICES
    settings = {name: _settings(name) for name in services}
    configure_logging(settings[services[0]].log_level, json_logs=settings[services[0]].log_json)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with contextlib.AsyncExitStack() as stack:
            for name in services:
                conf = settings[name].model_copy(update={"run_jobs_in_process": True})
                app = _create_app(name, conf)
                # The app's lifespan starts its job runner; no HTTP server is started.
                await stack.enter_async_context(app.router.lifespan_context(app))
            print(f"signif worker: {', '.join(services)}", file=sys.stderr)
            await stop.wait()

    asyncio.run(run())
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    from shared.issuer import DevIssuer
    from signif.jetons import JetonIncomplet, claims

    settings = _settings("consent")
    if settings.env == "production":
        print("signif token issue est réservé au développement et aux tests.", file=sys.stderr)
        return 2
    try:
        contenu = claims(args)
    except JetonIncomplet as exc:
        print(f"signif token issue : {exc}", file=sys.stderr)
        return 2
    issuer = DevIssuer(settings.keys_dir, issuer=settings.jwt_issuer)
    print(issuer.mint(contenu, ttl=args.ttl))
    return 0


def cmd_dev_sign(args: argparse.Namespace) -> int:
    """Make the PDF the PDF/A-2b the coffre accepts (`signif.pdfa`), then sign it with the embedded
    deployment's demo commissaire certificate (development CA)."""
    from pathlib import Path

    from signif.pdfa import PdfANonObtenu, signer_en_pdfa

    settings = _settings("coffre")
    if settings.env == "production":
        print("signif dev sign : réservé au développement (SIGNIF_ENV=production)", file=sys.stderr)
        return 2
    try:
        fait = signer_en_pdfa(Path(args.input), Path(args.output), settings.var_dir)
    except PdfANonObtenu as exc:
        print(f"signif dev sign : {args.input} refusé. {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"signif dev sign : {exc}", file=sys.stderr)
        return 2
    print(f"{args.input} : {fait}.")
    print(f"{args.output} : signé avec le certificat de démonstration (AC de développement, non qualifiée)")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Offline: reads only the bundle and the optional trust anchors given on the command line."""
    import json
    from pathlib import Path

    from cryptography import x509

    from shared.evidence.verify import TrustAnchors, verify_bundle

    try:
        data = Path(args.bundle).read_bytes()
        anchors = TrustAnchors(
            tsa_roots=tuple(x509.load_pem_x509_certificates(Path(args.racine_tsa).read_bytes()))
            if args.racine_tsa
            else None,
            log_keys=tuple(Path(args.cle_journal).read_text(encoding="utf-8").split())
            if args.cle_journal
            else None,
            jwks=json.loads(Path(args.jwks).read_text(encoding="utf-8")) if args.jwks else None,
        )
    except (OSError, ValueError) as exc:
        print(f"signif verify : lecture impossible ({exc})", file=sys.stderr)
        return 2
    report = verify_bundle(data, anchors=anchors, on_check=lambda check: print(check, flush=True))
    if report.ok:
        print("Lot de preuves vérifié : toutes les vérifications sont satisfaites.")
        return 0
    failure = report.failure
    print(f"Lot de preuves REJETÉ : {failure.piece if failure else args.bundle}.")
    return 1


def cmd_demo(args: argparse.Namespace) -> int:
    """The story against a running embedded deployment (development keys and `.eml` files of its var dir)."""
    from pathlib import Path

    import httpx

    from signif.demo import Demo
    from signif.formulaires import DemoEchouee

    settings = _settings("coffre")
    if settings.env == "production":
        print("signif demo : réservé au développement (SIGNIF_ENV=production)", file=sys.stderr)
        return 2
    var = Path(args.var) if args.var else settings.var_dir
    dossier = Path(args.dossier) if args.dossier else var / "demo"
    try:
        Demo(args.url, var, dossier).executer()
    except DemoEchouee as exc:
        print(f"\nDémo interrompue : {exc}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(
            f"\nDémo interrompue : {args.url} injoignable ({exc}) ; lancez d'abord `make run`.",
            file=sys.stderr,
        )
        return 1
    return 0


def _service(value: str) -> str:
    if value not in SERVICES:
        raise argparse.ArgumentTypeError(f"service inconnu : {value} (consent, coffre ou notify)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signif", description="Plateforme de signification électronique")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="démarrer le déploiement embarqué ou un service")
    serve.add_argument("service", nargs="?", choices=SERVICES)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="exécuter les tâches durables et les relais")
    worker.add_argument("services", nargs="*", type=_service, metavar="{consent,coffre,notify}")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="appliquer les migrations de chaque service")
    migrate.add_argument("services", nargs="*", type=_service, metavar="{consent,coffre,notify}")
    migrate.set_defaults(func=cmd_migrate)

    token = sub.add_parser("token", help="jetons de développement").add_subparsers(
        dest="token_cmd", required=True
    )
    from signif.jetons import PRESETS, ROLES, aide_presets

    issue = token.add_parser(
        "issue", help="émettre un JWT avec la clé de développement", description=aide_presets()
    )
    issue.add_argument("--preset", choices=sorted(PRESETS), help="un appelant type de chaque rôle")
    issue.add_argument("--role", choices=ROLES)
    issue.add_argument("--sub")
    issue.add_argument("--aud", help="service destinataire (consent, coffre, notify, ou * pour tous)")
    issue.add_argument("--ttl", type=int, default=3600)
    issue.add_argument("--nom")
    issue.add_argument("--office-id")
    issue.add_argument("--office-nom")
    issue.add_argument("--commune-insee")
    issue.add_argument("--cour-appel")
    issue.add_argument("--juridiction")
    issue.set_defaults(func=cmd_token_issue)

    dev = sub.add_parser("dev", help="outils de développement").add_subparsers(dest="dev_cmd", required=True)
    sign = dev.add_parser("sign", help="signer un PDF avec le certificat de démonstration (AC de dév.)")
    sign.add_argument("--in", dest="input", required=True, help="le PDF à signer")
    sign.add_argument("--out", dest="output", required=True, help="le PDF signé à écrire")
    sign.set_defaults(func=cmd_dev_sign)

    verify = sub.add_parser("verify", help="vérifier hors ligne un lot de preuves (ZIP)")
    verify.add_argument("bundle", help="le lot de preuves (ZIP)")
    verify.add_argument("--racine-tsa", help="racine(s) de la TSA publiées (PEM), au lieu de tsa/racine.pem")
    verify.add_argument(
        "--cle-journal", help="clé(s) du journal publiées (vkey C2SP), au lieu de journal/cle.txt"
    )
    verify.add_argument("--jwks", help="clés du sceau publiées (JWKS), au lieu de cles/jwks.json")
    verify.set_defaults(func=cmd_verify)

    demo = sub.add_parser("demo", help="dérouler toute l'histoire contre un `make run` en cours")
    demo.add_argument("--url", default="http://127.0.0.1:8000", help="le déploiement embarqué")
    demo.add_argument("--var", help="son répertoire de données (défaut : SIGNIF_VAR_DIR ou ./var)")
    demo.add_argument("--dossier", help="où écrire les fichiers produits (défaut : <var>/demo)")
    demo.set_defaults(func=cmd_demo)

    from services.consent.purge.cli import register as register_consent

    register_consent(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    silence_known_warnings()
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
