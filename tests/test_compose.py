"""Static checks of the distributed deployment (no Docker engine needed).

`docker-compose.yml` must be valid against the official Compose Specification schema (a copy of
compose-spec/compose-spec `schema/compose-spec.json` in tests/data), start with no `.env` file (every
`${VAR}` has a default), expose only the public entry point and Mailpit's UI, give every long-running
container a healthcheck, run only `signif` commands the CLI accepts, and reference only files that exist.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft7Validator

from shared.blobs import s3_settings_from_url
from signif.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = ROOT / "tests" / "data" / "compose-spec.json"

APP_SERVICES = ("consent", "coffre", "notify")
ALLOWED_PUBLISHED = {("proxy", 8000), ("mailpit", 8025)}
LONG_RUNNING_RESTART = {"always", "unless-stopped", "on-failure"}

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\})")


def _interpolate(value: Any, missing: set[str]) -> Any:
    """Compose's `${VAR:-default}` interpolation in an empty environment; notes `${VAR}` without default."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            if match.group("default") is None:
                missing.add(match.group("name"))
                return ""
            return match.group("default")

        return _VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {key: _interpolate(item, missing) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, missing) for item in value]
    return value


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    missing: set[str] = set()
    resolved = _interpolate(raw, missing)
    assert missing == set(), f"variables without a default: {sorted(missing)}"
    return dict(resolved)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment is written as a mapping"
    return {key: str(value) for key, value in env.items()}


def _one_shots(services: dict[str, dict[str, Any]]) -> set[str]:
    """Services some other service waits on with `service_completed_successfully`."""
    return {
        name
        for spec in services.values()
        if isinstance(spec.get("depends_on"), dict)
        for name, dep in spec["depends_on"].items()
        if dep.get("condition") == "service_completed_successfully"
    }


def test_schema_copy_is_the_compose_specification() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    assert {"service", "healthcheck", "network", "volume"} <= set(schema["definitions"])


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    errors = sorted(Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_the_schema_check_catches_mistakes(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(compose))
    broken["services"]["coffre"]["healthcheck"]["retries_"] = 3
    broken["services"]["coffre"]["depends_on"]["migrate"]["condition"] = "when_ready"
    assert len(list(Draft7Validator(schema).iter_errors(broken))) == 2


def test_every_service_has_a_healthcheck_or_is_a_one_shot(services: dict[str, dict[str, Any]]) -> None:
    one_shots = _one_shots(services)
    assert one_shots == {"migrate", "minio-init"}
    for name, spec in services.items():
        if name in one_shots:
            assert spec.get("restart", "no") == "no", f"{name} is a one-shot: it must not restart"
            assert "healthcheck" not in spec
            continue
        assert spec.get("restart") in LONG_RUNNING_RESTART, f"{name} must restart"
        check = spec.get("healthcheck")
        assert check is not None, f"{name} has no healthcheck"
        assert not check.get("disable", False)
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name


def test_dependencies_exist_and_wait_for_readiness(services: dict[str, dict[str, Any]]) -> None:
    one_shots = _one_shots(services)
    for name, spec in services.items():
        for dep, rule in spec.get("depends_on", {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            expected = "service_completed_successfully" if dep in one_shots else "service_healthy"
            assert rule["condition"] == expected, f"{name} -> {dep}"


def test_app_containers_wait_for_migrations(services: dict[str, dict[str, Any]]) -> None:
    app_containers = [name for name, spec in services.items() if spec.get("command", [""])[0] == "signif"]
    assert len(app_containers) == 7
    for name in app_containers:
        if name == "migrate":
            assert services[name]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        else:
            assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def _published(port: Any) -> int | None:
    if isinstance(port, dict):
        published = port.get("published")
        return int(published) if published is not None else None
    parts = str(port).split("/")[0].split(":")
    return int(parts[-2]) if len(parts) >= 2 else None


def test_only_the_entry_point_and_mail_ui_are_published(services: dict[str, dict[str, Any]]) -> None:
    published: set[tuple[str, int | None]] = set()
    for name, spec in services.items():
        assert spec.get("network_mode") != "host", name
        for port in spec.get("ports", []):
            published.add((name, _published(port)))
    assert published == ALLOWED_PUBLISHED
    assert services["mailpit"]["ports"] == ["127.0.0.1:8025:8025"], "the mail UI stays on loopback"


def test_data_stores_are_on_the_internal_network_only(compose: dict[str, Any]) -> None:
    assert compose["networks"]["backend"]["internal"] is True
    for name in ("postgres", "minio"):
        assert compose["services"][name]["networks"] == ["backend"]
    assert compose["services"]["proxy"]["networks"] == ["edge"]


def test_signif_commands_exist_in_the_cli(services: dict[str, dict[str, Any]]) -> None:
    parser = build_parser()
    seen: set[str] = set()
    for name, spec in services.items():
        command = spec.get("command")
        if not command or command[0] != "signif":
            continue
        assert isinstance(command, list), f"{name}: exec form, so signals reach signif"
        args = parser.parse_args(command[1:])  # exits (SystemExit) on an unknown command or argument
        seen.add(args.command)
        if args.command == "serve":
            assert args.service == name
            assert (args.host, args.port) == ("0.0.0.0", 8000)  # noqa: S104 - inside its container
        if args.command == "worker":
            assert args.services == [name.removeprefix("worker-")]
    assert seen == {"serve", "worker", "migrate"}


def test_the_cli_check_rejects_unknown_commands() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "registre"])


def test_services_are_configured_for_the_distributed_deployment(services: dict[str, dict[str, Any]]) -> None:
    for service in APP_SERVICES:
        for container in (service, f"worker-{service}"):
            env = _env(services[container])
            assert env["SIGNIF_ENV"] in {"development", "production"}
            assert env["SIGNIF_VAR_DIR"] == "/var/lib/signif"
            assert env["SIGNIF_RUN_JOBS"] == "false"
            for other in APP_SERVICES:
                assert env[f"SIGNIF_{other.upper()}_URL"] == f"http://{other}:8000"
            db = urlsplit(env[f"{service.upper()}_DATABASE_URL"])
            assert (db.scheme, db.hostname, db.port, db.path) == (
                "postgresql+asyncpg",
                "postgres",
                5432,
                f"/{service}",
            )
            assert db.username == service
            foreign = {f"{o.upper()}_DATABASE_URL" for o in APP_SERVICES if o != service}
            assert foreign.isdisjoint(env), f"{container} must not hold other services' credentials"
    migrate_env = _env(services["migrate"])
    assert {f"{s.upper()}_DATABASE_URL" for s in APP_SERVICES} <= set(migrate_env)


def test_blob_storage_settings(services: dict[str, dict[str, Any]]) -> None:
    coffre = s3_settings_from_url(_env(services["coffre"])["SIGNIF_BLOB_URL"])
    consent = s3_settings_from_url(_env(services["consent"])["SIGNIF_BLOB_URL"])

    assert coffre.endpoint_url == consent.endpoint_url == "http://minio:9000"
    assert coffre.object_lock_days is not None, "actes are stored under Object Lock"
    assert consent.object_lock_days is None, "identity proofs must stay purgeable"
    init = (ROOT / "docker/minio/init-buckets.sh").read_text(encoding="utf-8")
    assert f"mb --ignore-existing --with-lock signif/{coffre.bucket}\n" in init
    assert f"mb --ignore-existing signif/{consent.bucket}\n" in init
    minio_env = _env(services["minio"])
    for container in ("consent", "coffre"):
        env = _env(services[container])
        assert env["AWS_ACCESS_KEY_ID"] == minio_env["MINIO_ROOT_USER"]
        assert env["AWS_SECRET_ACCESS_KEY"] == minio_env["MINIO_ROOT_PASSWORD"]


def test_notify_sends_mail_through_mailpit(services: dict[str, dict[str, Any]]) -> None:
    for container in ("notify", "worker-notify"):
        env = _env(services[container])
        assert (env["NOTIFY_SMTP_HOST"], env["NOTIFY_SMTP_PORT"]) == ("mailpit", "1025")


def test_postgres_init_creates_each_service_database(services: dict[str, dict[str, Any]]) -> None:
    script = (ROOT / "docker/postgres/init-databases.sh").read_text(encoding="utf-8")
    assert "for service in consent coffre notify; do" in script
    postgres_env = _env(services["postgres"])
    for service in APP_SERVICES:
        password = urlsplit(_env(services[service])[f"{service.upper()}_DATABASE_URL"]).password
        assert postgres_env[f"{service.upper()}_DB_PASSWORD"] == password


def test_proxy_routes_each_prefix_to_its_service() -> None:
    caddyfile = (ROOT / "docker/caddy/Caddyfile").read_text(encoding="utf-8")
    routes = dict(re.findall(r"handle /(\w+)\* \{\s*reverse_proxy (\S+)\s*\}", caddyfile))
    assert routes == {service: f"{service}:8000" for service in APP_SERVICES}
    assert re.search(r"handle / \{\s*reverse_proxy consent:8000\s*\}", caddyfile)  # the home page


def test_referenced_files_exist(services: dict[str, dict[str, Any]]) -> None:
    referenced: list[str] = []
    for spec in services.values():
        build = spec.get("build")
        if isinstance(build, dict):
            referenced.append(str(Path(build.get("context", ".")) / build.get("dockerfile", "Dockerfile")))
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                referenced.append(source)
        for env_file in (
            [spec["env_file"]] if isinstance(spec.get("env_file"), str) else spec.get("env_file", [])
        ):
            referenced.append(env_file if isinstance(env_file, str) else env_file["path"])
    assert "docker/Dockerfile" in referenced
    assert len([r for r in referenced if "docker/" in r]) >= 4
    for path in referenced:
        assert (ROOT / path).is_file(), f"{path} is referenced by docker-compose.yml but does not exist"
    for script in ("docker/postgres/init-databases.sh", "docker/minio/init-buckets.sh"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} must be executable"


def test_dockerfile_builds_the_project_image() -> None:
    dockerfile = (ROOT / "docker/Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim" in dockerfile
    # the locked dependencies, hash-checked, then the project alone: the image resolves nothing
    assert "pip wheel --wheel-dir /wheels --require-hashes -r requirements/runtime.txt" in dockerfile
    assert "pip wheel --wheel-dir /wheels --no-deps ." in dockerfile
    assert re.search(r"^USER signif$", dockerfile, re.MULTILINE), "the image runs as a non-root user"
    for copied in re.findall(r"^COPY (?!--from)(\S+) ", dockerfile, re.MULTILINE):
        assert (ROOT / copied).exists(), f"Dockerfile copies missing {copied}"
