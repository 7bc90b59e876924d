"""deploy/kubernetes, checked offline: every manifest against the Kubernetes API schemas
(kubernetes-validate, strict: unknown fields are errors), the Argo Rollouts resources
against their CRD schemas (node validate-crds.mjs, from deploy/kubernetes/validate), and
the properties the issue asks for, one test each."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from django.http.request import validate_host

from tests.deploy.tools import (
    DEPLOY,
    NODE_MODULES,
    VALIDATE_DIR,
    load_yaml,
    load_yaml_documents,
    require_tool,
)

K8S = DEPLOY / "kubernetes"
BASE = K8S / "base"
BLUE_GREEN = K8S / "overlays" / "blue-green"
# The oldest Kubernetes release we support (CronJob timeZone is GA since 1.27).
KUBERNETES_VERSION = "1.30.0"
WEB = {"app.kubernetes.io/name": "syllabus", "app.kubernetes.io/component": "web"}

MANIFESTS = sorted(
    path
    for path in K8S.rglob("*.yaml")
    if "node_modules" not in path.parts and path.name != "kustomization.yaml"
)


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, doc) for path in MANIFESTS for doc in load_yaml_documents(path)]


def _one(kind: str, name: str, folder: Path = BASE) -> dict[str, Any]:
    found = [
        doc
        for path, doc in _documents()
        if path.parent == folder and doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(found) == 1, f"{kind}/{name} in {folder}"
    return found[0]


def _pod_specs() -> dict[str, dict[str, Any]]:
    """Every pod template of Syllabus, by workload."""
    specs = {}
    for _, doc in _documents():
        spec = doc.get("spec", {})
        if doc["kind"] in ("Deployment", "Rollout", "Job"):
            specs[f"{doc['kind']}/{doc['metadata']['name']}"] = spec["template"]["spec"]
        elif doc["kind"] == "CronJob":
            pod = spec["jobTemplate"]["spec"]["template"]["spec"]
            specs[f"CronJob/{doc['metadata']['name']}"] = pod
    return specs


def _config() -> dict[str, str]:
    return _one("ConfigMap", "syllabus-config")["data"]


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", [])}


# --- Schemas -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(K8S)))
def test_manifest_matches_the_kubernetes_schema(path):
    documents = load_yaml_documents(path)
    assert documents, f"{path} is empty"
    for doc in documents:
        if doc["apiVersion"].startswith("argoproj.io/"):
            continue  # CRDs: validate-crds.mjs below
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_refuses_an_unknown_field_and_a_wrong_type():
    deployment = load_yaml_documents(BASE / "web-deployment.yaml")[0]
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, KUBERNETES_VERSION, strict=True)
    wrong = copy.deepcopy(deployment)
    wrong["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES_VERSION, strict=True)


def _node() -> str:
    node = shutil.which("node")
    require_tool(bool(node) and (NODE_MODULES / "@kubernetes-models").exists(), "node + npm ci")
    assert node
    return node


def test_argo_rollout_and_analysis_template_match_their_crd_schemas():
    result = subprocess.run(
        [_node(), "validate-crds.mjs"],
        cwd=VALIDATE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"checked": 2, "failures": 0}


def test_crd_validation_refuses_a_broken_rollout(tmp_path):
    rollout = load_yaml(BLUE_GREEN / "rollout.yaml")
    rollout["spec"]["strategy"]["blueGreen"]["autoPromotionEnabled"] = "no"
    broken = tmp_path / "rollout.yaml"
    broken.write_text(json.dumps(rollout))  # JSON is YAML
    result = subprocess.run(
        [_node(), "validate-crds.mjs", str(broken)],
        cwd=VALIDATE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert '"failures":1' in result.stdout


# --- Kustomize layout ----------------------------------------------------------------------


def test_kustomization_lists_every_base_manifest_but_the_secret_example():
    listed = load_yaml(BASE / "kustomization.yaml")["resources"]
    present = sorted(p.name for p in BASE.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == [name for name in present if name != "secret.example.yaml"]
    assert load_yaml(BASE / "kustomization.yaml")["namespace"] == "syllabus"


def test_blue_green_overlay_patches_point_at_what_the_base_has():
    kustomization = load_yaml(BLUE_GREEN / "kustomization.yaml")
    for resource in kustomization["resources"]:
        assert (BLUE_GREEN / resource).exists(), resource
    patches = {
        (p["target"]["kind"], p["target"]["name"]): p["patch"] for p in kustomization["patches"]
    }
    assert "$patch: delete" in patches[("Deployment", "syllabus-web")]
    assert "$patch: delete" in patches[("Service", "syllabus-web")]
    hpa_patch = yaml.safe_load(patches[("HorizontalPodAutoscaler", "syllabus-web")])
    assert hpa_patch[0]["value"] == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "name": "syllabus-web",
    }
    ingress_patch = yaml.safe_load(patches[("Ingress", "syllabus")])[0]
    # The JSON pointer resolves in the base Ingress, to the Service the base uses.
    node: Any = _one("Ingress", "syllabus")
    for part in ingress_patch["path"].strip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    assert node == "syllabus-web"
    assert ingress_patch["value"] == "syllabus-active"


# --- The web tier --------------------------------------------------------------------------


def test_web_deployment_runs_three_pods_with_probes_on_the_health_endpoints():
    deployment = _one("Deployment", "syllabus-web")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["serve", "--bind", "0.0.0.0:8000", "--no-collectstatic"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    allowed = _config()["SYLLABUS_ALLOWED_HOSTS"].split(",")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        headers = {h["name"]: h["value"] for h in container[probe]["httpGet"]["httpHeaders"]}
        # Django answers 400 to a Host it does not serve: the probe's Host is allowed.
        assert validate_host(headers["Host"], allowed), probe


def test_web_pods_have_resources_and_a_grace_period_longer_than_any_request():
    pod = _one("Deployment", "syllabus-web")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    sleep = container["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep"
    longest_request = int(_config()["SYLLABUS_WEB_TIMEOUT"])
    assert pod["terminationGracePeriodSeconds"] > longest_request + int(sleep[1])


def test_web_pods_spread_across_zones_and_hosts():
    pod = _one("Deployment", "syllabus-web")["spec"]["template"]["spec"]
    spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    assert set(spread) == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    for constraint in spread.values():
        assert constraint["maxSkew"] == 1
        assert constraint["labelSelector"]["matchLabels"] == WEB


def test_every_pod_is_non_root_read_only_and_drops_capabilities():
    specs = _pod_specs()
    assert set(specs) == {
        "Deployment/syllabus-web",
        "Deployment/syllabus-worker",
        "Job/syllabus-migrate",
        "CronJob/syllabus-backup",
        "CronJob/syllabus-retention",
        "Rollout/syllabus-web",
    }
    for name, pod in specs.items():
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True, name
        assert security["runAsUser"] == 10001, name
        assert security["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], name  # noqa: S108
            assert "emptyDir" in volumes[mounts["/var/lib/syllabus"]], name
            assert volumes[mounts["/run/secrets/syllabus"]]["secret"]["secretName"] == (
                "syllabus-secrets"
            )
            assert container["envFrom"] == [{"configMapRef": {"name": "syllabus-config"}}]
            assert container["image"] == "syllabus", "the release is set by kustomize images"


def test_service_and_ingress_with_tls():
    service = _one("Service", "syllabus-web")
    assert service["spec"]["selector"] == WEB
    ingress = _one("Ingress", "syllabus")
    host = ingress["spec"]["rules"][0]["host"]
    assert ingress["spec"]["tls"] == [{"hosts": [host], "secretName": "syllabus-tls"}]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "syllabus-web", "port": {"name": "http"}}
    assert validate_host(host, _config()["SYLLABUS_ALLOWED_HOSTS"].split(","))
    assert _config()["SYLLABUS_TLS"] == "true"
    assert _config()["SYLLABUS_PROXY_SSL_HEADER"] == "true"


def test_hpa_is_the_readiness_guides_exactly():
    """Seed 2.2, field for field; only the target is named after Syllabus."""
    hpa = _one("HorizontalPodAutoscaler", "syllabus-web")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "syllabus-web"},
        "minReplicas": 3,
        "maxReplicas": 20,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 70},
                },
            },
            {
                "type": "Resource",
                "resource": {
                    "name": "memory",
                    "target": {"type": "Utilization", "averageUtilization": 80},
                },
            },
        ],
        "behavior": {
            "scaleDown": {
                "stabilizationWindowSeconds": 300,
                "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}],
            },
            "scaleUp": {
                "stabilizationWindowSeconds": 0,
                "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
            },
        },
    }


def test_pod_disruption_budget_keeps_web_pods_during_drains():
    pdb = _one("PodDisruptionBudget", "syllabus-web")
    assert pdb["spec"]["selector"]["matchLabels"] == WEB
    minimum = _one("HorizontalPodAutoscaler", "syllabus-web")["spec"]["minReplicas"]
    assert 1 <= pdb["spec"]["minAvailable"] < minimum  # a drain can still move one pod


# --- Worker, jobs ----------------------------------------------------------------------------


def test_worker_leaves_daily_backups_to_the_cronjob():
    container = _one("Deployment", "syllabus-worker")["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][0] == "worker"
    assert _env(container)["SYLLABUS_BACKUP_DAILY"] == "false"
    assert _one("Deployment", "syllabus-worker")["spec"]["strategy"]["type"] == "Recreate"
    assert "redis-url" in " ".join(container["livenessProbe"]["exec"]["command"])


def test_migration_job_runs_before_the_rollout():
    job = _one("Job", "syllabus-migrate")
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate", "--noinput"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    header = (BASE / "migrate-job.yaml").read_text()
    assert "kubectl -n syllabus wait --for=condition=complete job/syllabus-migrate" in header


def _cron_command(name: str) -> str:
    cron = _one("CronJob", name)
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    return " ".join(container.get("command", []) + container["args"])


def test_backup_cronjob_backs_up_then_proves_the_archive_restores():
    command = _cron_command("syllabus-backup")
    assert re.search(r"syllabus backup && syllabus verify-backup( |$)", command)
    assert _config()["SYLLABUS_BACKUP_S3_BUCKET"], "pods share no disk: backups go to a bucket"


def test_retention_cronjob_applies_the_retention_policy():
    assert _cron_command("syllabus-retention") == "retention"


# --- Network policies ------------------------------------------------------------------------


def _policies() -> dict[str, dict[str, Any]]:
    return {
        doc["metadata"]["name"]: doc["spec"]
        for doc in load_yaml_documents(BASE / "networkpolicies.yaml")
    }


def test_network_policies_deny_by_default():
    default = _policies()["default-deny-all"]
    assert default == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_only_the_ingress_controller_and_monitoring_reach_the_web_pods():
    web = _policies()["syllabus-web-ingress"]
    assert web["podSelector"]["matchLabels"] == WEB
    sources = web["ingress"][0]["from"]
    namespaces = [
        s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for s in sources
    ]
    assert namespaces == ["ingress-nginx", "monitoring", "argo-rollouts"]
    assert web["ingress"][0]["ports"] == [{"port": "http", "protocol": "TCP"}]


def test_syllabus_pods_reach_dns_postgresql_redis_smtp_and_https_only():
    egress = _policies()["syllabus-egress"]
    assert egress["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "syllabus"}
    ports = {(p["port"], p["protocol"]) for rule in egress["egress"] for p in rule["ports"]}
    assert ports == {
        (53, "UDP"),
        (53, "TCP"),
        (5432, "TCP"),
        (6379, "TCP"),
        (587, "TCP"),
        (465, "TCP"),
        (25, "TCP"),
        (443, "TCP"),
    }
    for spec in _pod_specs().values():
        assert spec["containers"][0]  # every workload carries the selected label
    for _, doc in _documents():
        if doc["kind"] in ("Deployment", "Job", "Rollout"):
            labels = doc["spec"]["template"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/name"] == "syllabus"


# --- Configuration and secrets -------------------------------------------------------------


def test_secret_files_named_in_the_config_exist_in_the_secret_example():
    secret = _one("Secret", "syllabus-secrets")
    keys = set(secret["stringData"])
    files = {name: value for name, value in _config().items() if name.endswith("_FILE")}
    assert files, "secrets are read from files"
    for name, path in files.items():
        assert path.startswith("/run/secrets/syllabus/"), name
        assert path.removeprefix("/run/secrets/syllabus/") in keys, name
    # Only placeholders: the example cannot start a production site as it is.
    assert secret["stringData"]["secret-key"] == "change-me"
    for value in secret["stringData"].values():
        assert value == "" or "REPLACE" in value or value == "change-me"
    assert "secret.example.yaml" not in load_yaml(BASE / "kustomization.yaml")["resources"]


def test_config_map_holds_no_secret_values():
    for name in _config():
        if re.search(r"PASSWORD|SECRET|TOKEN|_KEYS?$|^DATABASE_|^REDIS_URL", name):
            assert name.endswith("_FILE"), f"{name} must come from the Secret as a file"


# --- Blue/green --------------------------------------------------------------------------------


def test_blue_green_rollout_is_the_guides_with_manual_promotion_and_analysis():
    rollout = _one("Rollout", "syllabus-web", BLUE_GREEN)
    blue_green = rollout["spec"]["strategy"]["blueGreen"]
    assert blue_green["activeService"] == "syllabus-active"
    assert blue_green["previewService"] == "syllabus-preview"
    assert blue_green["autoPromotionEnabled"] is False
    analysis = blue_green["prePromotionAnalysis"]
    assert analysis["templates"] == [{"templateName": "syllabus-preview-health"}]
    assert analysis["args"] == [{"name": "service-name", "value": "syllabus-preview"}]
    for name in ("syllabus-active", "syllabus-preview"):
        assert _one("Service", name, BLUE_GREEN)["spec"]["selector"] == WEB


def test_rollout_pods_are_the_deployments_pods():
    rollout = _one("Rollout", "syllabus-web", BLUE_GREEN)
    deployment = _one("Deployment", "syllabus-web")
    assert rollout["spec"]["template"] == deployment["spec"]["template"]
    assert rollout["spec"]["selector"] == deployment["spec"]["selector"]


def test_pre_promotion_analysis_reads_the_preview_services_health():
    template = _one("AnalysisTemplate", "syllabus-preview-health", BLUE_GREEN)
    metric = template["spec"]["metrics"][0]
    web = metric["provider"]["web"]
    assert web["url"] == "http://{{args.service-name}}.{{args.namespace}}.svc.cluster.local/health"
    assert web["jsonPath"] == "{$.status}"
    assert metric["successCondition"] == 'result == "ok"'
    assert metric["failureLimit"] == 0
    # The Host it sends (the Service's DNS name) is one Django serves.
    host = "syllabus-preview.syllabus.svc.cluster.local"
    assert validate_host(host, _config()["SYLLABUS_ALLOWED_HOSTS"].split(","))
