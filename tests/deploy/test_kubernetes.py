"""deploy/k8s: every manifest parses, every container is probed and sized, the
matching replicas each read the whole profile stream, and the web frontend keeps its
sessions on one replica's own volume."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import IMAGES, K8S_DIR, SERVICES, WEB, ServiceSpec, k8s_documents

KNOWN_KINDS = {
    "ConfigMap",
    "Deployment",
    "HorizontalPodAutoscaler",
    "Ingress",
    "Job",
    "Namespace",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Service",
    "StatefulSet",
}
WORKLOADS = ("Deployment", "StatefulSet")
SCALED_BY_HPA = ("profile", "messaging", "notifications")
WEB_INTERNAL_PORT = 9000
"""The web frontend's internal port (WEB_INTERNAL_PORT): detailed /readyz and /metrics."""


def _workloads() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc["kind"] in WORKLOADS}


def _of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc["kind"] == kind}


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def _base_config() -> dict[str, str]:
    """The base ConfigMap's data (the production overlay patches only a few keys)."""
    document = yaml.safe_load((K8S_DIR / "base" / "configmap.yaml").read_text())
    data: dict[str, str] = document["data"]
    return data


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item for item in container.get("env", [])}


def test_every_manifest_has_a_known_kind_and_a_name() -> None:
    documents = k8s_documents()
    assert len(documents) >= 15
    for path, doc in documents:
        assert doc["kind"] in KNOWN_KINDS, (path, doc["kind"])
        assert doc["apiVersion"], path
        assert doc["metadata"]["name"], path


def test_every_kustomization_lists_files_that_exist() -> None:
    for kustomization in K8S_DIR.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        for entry in spec.get("resources", []) + [p["path"] for p in spec.get("patches", [])]:
            assert (kustomization.parent / entry).exists(), (kustomization, entry)


def test_each_service_has_a_workload_with_its_image_and_port() -> None:
    workloads = _workloads()
    services = _of_kind("Service")
    for spec in IMAGES:
        container = _container(workloads[spec.name])
        assert container["image"] == f"mentor-match/{spec.name}"
        internal = [{"name": "internal", "containerPort": WEB_INTERNAL_PORT}] if spec is WEB else []
        assert container["ports"] == [{"name": "http", "containerPort": spec.port}, *internal]
        assert _env(container)[spec.port_variable]["value"] == str(spec.port)
        assert services[spec.name]["spec"]["ports"][0]["port"] == spec.port


@pytest.mark.parametrize("spec", IMAGES, ids=lambda s: s.name)
def test_every_container_has_probes_and_resources(spec: ServiceSpec) -> None:
    workload = _workloads()[spec.name]
    pod = workload["spec"]["template"]["spec"]
    for container in pod["containers"] + pod.get("initContainers", []):
        resources = container["resources"]
        assert resources["requests"]["memory"]
        assert resources["requests"]["cpu"]
        assert resources["limits"]["memory"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
    container = _container(workload)
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_matching_requests_enough_memory_for_torch_the_model_and_the_index() -> None:
    resources = _container(_workloads()["matching"])["resources"]
    assert resources["requests"]["memory"] == "1536Mi"
    for name in SCALED_BY_HPA:
        assert _container(_workloads()[name])["resources"]["requests"]["memory"] == "256Mi"


def test_stateless_services_scale_with_an_hpa_and_keep_one_pod_in_disruptions() -> None:
    hpas = _of_kind("HorizontalPodAutoscaler")
    budgets = _of_kind("PodDisruptionBudget")
    for name in SCALED_BY_HPA:
        assert _workloads()[name]["kind"] == "Deployment"
        assert hpas[name]["spec"]["scaleTargetRef"]["name"] == name
        assert hpas[name]["spec"]["minReplicas"] >= 2
        assert budgets[name]["spec"]["minAvailable"] == 1
    assert "matching" in budgets
    assert "matching" not in hpas
    # One web replica holds the sessions: an HPA would split them, a PDB of one
    # would block every node drain.
    assert WEB.name not in hpas
    assert WEB.name not in budgets


def test_web_frontend_is_one_replica_with_its_sessions_on_its_own_volume() -> None:
    web = _workloads()[WEB.name]
    assert web["kind"] == "StatefulSet"
    assert web["spec"]["replicas"] == 1
    claims = {c["metadata"]["name"] for c in web["spec"]["volumeClaimTemplates"]}
    mounts = {m["name"]: m["mountPath"] for m in _container(web)["volumeMounts"]}
    data_dir = _base_config()["DATA_DIR"]
    assert [name for name in claims if mounts.get(name) == data_dir]
    services = _of_kind("Service")
    assert services[web["spec"]["serviceName"]]["spec"]["clusterIP"] == "None"


def test_web_frontend_reaches_every_service_by_its_kubernetes_name() -> None:
    env = _env(_container(_workloads()[WEB.name]))
    config = _base_config()
    services = _of_kind("Service")
    for spec in SERVICES:
        variable = f"{spec.name.upper()}_URL"
        url = env[variable]["value"] if variable in env else config[variable]
        assert url == f"http://{spec.name}:{spec.port}"
        assert services[spec.name]["spec"]["ports"][0]["port"] == spec.port
    assert env["COOKIE_SECURE"]["value"] == "true"
    assert "MONGODB_URI" not in env, "the web frontend has no database of its own"


def test_web_frontend_serves_health_details_and_metrics_to_monitoring_only() -> None:
    web = _workloads()[WEB.name]
    container = _container(web)
    env = _env(container)
    assert env["WEB_INTERNAL_PORT"]["value"] == str(WEB_INTERNAL_PORT)
    assert env["WEB_INTERNAL_HOST"]["value"] == "0.0.0.0"
    annotations = web["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(WEB_INTERNAL_PORT)
    service_ports = {p["port"] for p in _of_kind("Service")[WEB.name]["spec"]["ports"]}
    assert WEB_INTERNAL_PORT not in service_ports
    rules = _of_kind("NetworkPolicy")["allow-http-in"]["spec"]["ingress"]
    reaching = [rule["from"] for rule in rules if {"port": WEB_INTERNAL_PORT} in rule["ports"]]
    monitoring = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    }
    assert reaching == [[monitoring]]


def test_network_policy_lets_the_ingress_reach_the_web_and_the_web_reach_the_services() -> None:
    policies = _of_kind("NetworkPolicy")
    from_ingress = policies["allow-http-in"]["spec"]["ingress"]
    assert {"port": WEB.port} in from_ingress[0]["ports"]
    from_web = [
        rule
        for rule in from_ingress
        if rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "web"}}}]
    ]
    egress = policies["allow-web-to-services"]["spec"]
    assert egress["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "web"}
    allowed_out = {p["port"] for rule in egress["egress"] for p in rule["ports"]}
    allowed_in = {p["port"] for rule in from_web for p in rule["ports"]}
    # profile (8001) is open to every Mentor Match pod already.
    for spec in SERVICES:
        if spec.name != "profile":
            assert spec.port in allowed_out, spec.name
            assert spec.port in allowed_in, spec.name


def test_each_matching_replica_consumes_in_its_own_group_with_its_own_snapshot() -> None:
    matching = _workloads()["matching"]
    assert matching["kind"] == "StatefulSet"
    env = _env(_container(matching))
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert "$(POD_NAME)" in env["MATCHING_CONSUMER_GROUP"]["value"]
    assert env["HF_HUB_OFFLINE"]["value"] == "1"
    claims = matching["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in _container(matching)["volumeMounts"]}
    assert mounts[claims[0]["metadata"]["name"]] == "/var/lib/mentor-match/data"


def test_secrets_come_from_secret_references_not_the_configmap() -> None:
    config = _of_kind("ConfigMap")["mentor-match-config"]["data"]
    for secret in ("MONGODB_URI", "ADMIN_PASSWORD", "ADMIN_EMAIL", "UNSUBSCRIBE_SECRET"):
        assert secret not in config
    profile_env = _env(_container(_workloads()["profile"]))
    assert profile_env["ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "ADMIN_PASSWORD"
    notifications_env = _env(_container(_workloads()["notifications"]))
    assert "secretKeyRef" in notifications_env["UNSUBSCRIBE_SECRET"]["valueFrom"]
    for spec in SERVICES:
        env = _env(_container(_workloads()[spec.name]))
        assert env["MONGODB_URI"]["valueFrom"]["secretKeyRef"]["name"] == "mentor-match-secrets"


def test_every_profile_replica_signs_with_the_key_from_the_secret() -> None:
    profile = _workloads()["profile"]
    volumes = {v["name"]: v for v in profile["spec"]["template"]["spec"]["volumes"]}
    assert volumes["signing-key-secret"]["secret"]["secretName"] == "profile-signing-key"
    key_path = Path(_env(_container(profile))["JWT_KEY_PATH"]["value"])
    mounts = {m["mountPath"] for m in _container(profile)["volumeMounts"]}
    assert str(key_path.parent) in mounts


def test_network_policy_denies_by_default() -> None:
    deny = _of_kind("NetworkPolicy")["default-deny"]["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}


def test_production_overlay_builds_with_kustomize() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the kustomize build is not checked here")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S_DIR / "overlays" / "production")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    built = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    namespaced = [doc for doc in built if doc["kind"] != "Namespace"]
    assert all(doc["metadata"]["namespace"] == "mentor-match" for doc in namespaced)
    images = {
        c["image"]
        for doc in built
        if doc["kind"] in WORKLOADS
        for c in doc["spec"]["template"]["spec"]["containers"]
    }
    assert images == {f"registry.example.gov.uk/mentor-match/{spec.name}:0.1.0" for spec in IMAGES}
    for doc in built:
        if doc["kind"] in WORKLOADS:
            labels = doc["spec"]["template"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/part-of"] == "mentor-match"


def test_a_job_gives_the_profile_and_account_topics_their_erasure_settings() -> None:
    (job,) = _of_kind("Job").values()
    script = _container(job)["args"][0]
    assert "--topic profile" in script
    assert "--config cleanup.policy=compact\n" in script
    assert "--topic account" in script
    assert "--config cleanup.policy=compact,delete --config retention.ms=604800000" in script
    assert "cleanup.policy=[compact,delete]" in script
