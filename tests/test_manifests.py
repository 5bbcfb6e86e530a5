"""docker-compose.yml and the Kubernetes manifests, checked by real validators
(Docker and a cluster cannot run here) and by reading what they render:

- the Compose file loads with compose-go (the Compose specification's schema
  and model, as `docker compose` loads it), with and without the seed profile;
- `kustomize build` of every overlay validates strictly (unknown fields are
  errors) against the Kubernetes 1.33 schemas with kubeconform;
- checkov's Kubernetes and Dockerfile checks pass, each skip justified in place;
- every workload of every overlay has probes, requests and limits, a
  restricted security context and a read-only root filesystem; every
  Deployment a PDB, every stateless one an HPA; the Ingress reaches only the
  gateway and the web app; NetworkPolicies deny by default;
- every Procfile process exists in Compose and in Kubernetes, and each
  service's settings load in production with exactly the environment Compose
  and Kubernetes give it, pointing at no loopback address.

Tools: scripts/deploy/tools.sh (run by scripts/test.sh) installs them, pinned,
into .data/tools."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(os.environ.get("RENTEZY_DATA_DIR", ROOT / ".data")) / "tools"
BIN = TOOLS / "bin"
OVERLAYS = ["dev", "aws"]
sys.path.insert(0, str(ROOT / "scripts" / "deploy"))

import platform_table  # noqa: E402

PROCFILE = platform_table.procfile()
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


@cache
def compose(*profiles: str) -> dict:
    flags = [arg for p in profiles for arg in ("--profile", p)]
    result = run(str(BIN / "composecheck"), *flags, str(ROOT / "docker-compose.yml"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@cache
def rendered(overlay: str) -> str:
    result = run(str(BIN / "kustomize"), "build", str(ROOT / "k8s" / "overlays" / overlay))
    assert result.returncode == 0, result.stderr
    return result.stdout


@cache
def docs(overlay: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(rendered(overlay)) if doc]


def kind(overlay: str, name: str) -> list[dict]:
    return [doc for doc in docs(overlay) if doc["kind"] == name]


def pod_spec(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]


def ours(doc: dict) -> bool:
    """A RentEzy process (not the dev overlay's in-cluster infrastructure)."""
    return "rentezy.dev/service" in doc["spec"]["template"]["metadata"].get("labels", {}) or (
        doc["metadata"]["name"] == "web"
    )


# -- generated files --------------------------------------------------------------


def test_the_generated_manifests_are_what_the_generator_writes():
    result = run(sys.executable, str(ROOT / "scripts" / "deploy" / "generate.py"), "--check")
    assert result.returncode == 0, result.stderr


# -- Compose ---------------------------------------------------------------------


def test_the_compose_file_is_valid_for_the_compose_specification():
    project = compose()
    assert project["name"] == "rentezy"
    assert "seed-accounts" not in project["services"]  # profile `seed` only
    assert "seed-accounts" in compose("seed")["services"]


def test_composecheck_rejects_an_invalid_compose_file(tmp_path):
    # The negative control: the validator really validates.
    broken = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    broken["services"]["gateway"]["restart"] = "sometimes"
    broken["services"]["auth"]["depends_on"]["no-such-service"] = {"condition": "service_healthy"}
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    result = run(str(BIN / "composecheck"), str(path))
    assert result.returncode == 1
    assert "invalid" in result.stderr


def test_every_procfile_process_runs_in_compose_with_its_role():
    services = compose()["services"]
    for name, command in PROCFILE.items():
        assert name in services, name
        if name == "web":
            assert services[name]["build"]["dockerfile"] == "docker/web.Dockerfile"
            continue
        role = services[name]["command"][0]
        expected = {"outbox_relay": "relay", "manage.py consume": "consume",
                    " worker ": "worker", " beat ": "beat"}  # fmt: skip
        assert role == next((r for marker, r in expected.items() if marker in command), "web")
        folder = command.split("cd ", 1)[1].split(" ", 1)[0]
        assert services[name]["build"]["args"]["SERVICE"] == folder


def test_compose_starts_in_order_and_only_when_healthy():
    services = compose()["services"]
    for process in platform_table.processes():
        depends = services[process.name]["depends_on"]
        svc = process.service
        if svc.database:
            assert (
                depends[f"migrate-{svc.process}"]["condition"] == "service_completed_successfully"
            )
            assert depends["postgres"]["condition"] == "service_healthy"
        if "kafka" in svc.uses:
            assert depends["kafka"]["condition"] == "service_healthy"
            assert depends["kafka-topics"]["condition"] == "service_completed_successfully"
        if "search" in svc.uses:
            assert depends["search-index"]["condition"] == "service_completed_successfully"
        assert services[process.name]["read_only"] is True
        assert services[process.name]["cap_drop"] == ["ALL"]
        if process.role != "web":  # no HTTP: the heartbeat is its health
            assert "rentezy_platform.heartbeat" in services[process.name]["healthcheck"]["test"]
    assert services["web"]["ports"][0]["published"] == "80"  # http://localhost
    assert services["web"]["depends_on"]["gateway"]["condition"] == "service_healthy"
    databases = services["postgres"]["environment"]["RENTEZY_DATABASES"].split()
    assert sorted(databases) == sorted(s.database for s in platform_table.SERVICES if s.database)
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    # The engine the locked client speaks: same major version.
    client = run(sys.executable, "-c", "import elasticsearch; print(elasticsearch.__versionstr__)")
    engine = services["elasticsearch"]["image"].rsplit(":", 1)[1]
    assert engine.split(".")[0] == client.stdout.strip().split(".")[0]
    volumes = compose()["volumes"]
    assert {"postgres-data", "kafka-data", "elasticsearch-data", "redis-data", "media"} <= set(
        volumes
    )
    assert any(v["source"] == "media" for v in services["property"]["volumes"])


# -- Kubernetes: validity ---------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kustomize_builds_the_overlay_and_it_validates_strictly(overlay, tmp_path):
    path = tmp_path / f"{overlay}.yaml"
    path.write_text(rendered(overlay))
    result = run(*kubeconform(), str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Invalid: 0, Errors: 0" in result.stdout
    assert f"{len(docs(overlay))} resources found" in result.stdout


def kubeconform() -> list[str]:
    schemas = TOOLS / "k8s-schemas"
    return [str(BIN / "kubeconform"), "-strict", "-summary",
            "-schema-location", f"{schemas}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json"]  # fmt: skip


def test_kubeconform_rejects_an_unknown_field_and_a_wrong_type(tmp_path):
    deployment = json.loads(json.dumps(kind("aws", "Deployment")[0]))
    deployment["spec"]["replica"] = 2  # a typo: strict validation refuses it
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(deployment))
    assert run(*kubeconform(), str(path)).returncode == 1
    deployment = json.loads(json.dumps(kind("aws", "Deployment")[0]))
    deployment["spec"]["replicas"] = "two"
    path.write_text(yaml.safe_dump(deployment))
    assert run(*kubeconform(), str(path)).returncode == 1


def test_checkov_passes_on_the_overlays_and_the_dockerfiles(tmp_path):
    for overlay in OVERLAYS:
        (tmp_path / f"{overlay}.yaml").write_text(rendered(overlay))
    checkov = str(TOOLS / "checkov" / "bin" / "checkov")
    common = ["--compact", "--quiet", "--skip-download", "--output", "json"]
    for target, framework in ((str(tmp_path), "kubernetes"), (str(ROOT / "docker"), "dockerfile")):
        result = run(checkov, "-d", target, "--framework", framework, *common)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        report = json.loads(result.stdout)
        summary = report["summary"]
        assert summary["failed"] == 0 and summary["passed"] > 100, summary
        skipped = report["results"].get("skipped_checks", [])
        # A skip is justified in place: its comment says why.
        assert all(len(s["suppress_comment"]) > 30 for s in skipped), skipped


# -- Kubernetes: every workload ---------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_procfile_process_is_a_deployment_with_its_role(overlay):
    deployments = {d["metadata"]["name"]: d for d in kind(overlay, "Deployment")}
    for name in PROCFILE:
        assert name in deployments, name
    for process in platform_table.processes():
        container = pod_spec(deployments[process.name])["containers"][0]
        assert container["args"] == [process.role]
        assert container["image"].split("/")[-1].split(":")[0] == process.service.folder


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_probes_resources_and_a_restricted_security_context(overlay):
    checked = 0
    for doc in docs(overlay):
        if doc["kind"] not in WORKLOAD_KINDS:
            continue
        spec = pod_spec(doc)
        assert spec.get("automountServiceAccountToken") is False, doc["metadata"]["name"]
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True
        assert pod_security["seccompProfile"]["type"] == "RuntimeDefault"
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{doc['kind']}/{doc['metadata']['name']}/{container['name']}"
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert {"cpu", "memory"} <= set(resources["limits"]), where
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert security["runAsNonRoot"] is True, where
            if doc["metadata"]["name"] != "opensearch":  # justified skip in infrastructure.yaml
                assert security["readOnlyRootFilesystem"] is True, where
                assert security.get("runAsUser", pod_security.get("runAsUser")) >= 10000, where
            if doc["kind"] != "Job" and container in spec["containers"]:
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    assert probe in container, f"{where}: {probe}"
            checked += 1
        if ours(doc):
            # Writable paths are emptyDirs; the root filesystem is read-only.
            mounts = {m["mountPath"] for c in spec["containers"] for m in c["volumeMounts"]}
            assert "/tmp" in mounts
    assert checked >= 34


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_probes_use_the_health_endpoints_and_workers_their_heartbeat(overlay):
    for doc in kind(overlay, "Deployment"):
        if not ours(doc) or doc["metadata"]["name"] == "web":
            continue
        container = pod_spec(doc)["containers"][0]
        if container["args"] == ["web"]:
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            # Django's ALLOWED_HOSTS: the probe names a host it accepts.
            headers = container["livenessProbe"]["httpGet"]["httpHeaders"]
            assert {"name": "Host", "value": "localhost"} in headers
            allowed = next(
                e["value"] for e in container["env"] if e["name"] == "DJANGO_ALLOWED_HOSTS"
            )
            assert "localhost" in allowed.split(",")
        else:
            assert "rentezy_platform.heartbeat" in container["livenessProbe"]["exec"]["command"]
            env = {e["name"] for e in container["env"]}
            assert "RENTEZY_HEARTBEAT_FILE" in env


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_a_pdb_and_every_stateless_one_an_hpa(overlay):
    pdbs = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]: d
            for d in kind(overlay, "PodDisruptionBudget")}  # fmt: skip
    hpas = {
        d["spec"]["scaleTargetRef"]["name"]: d for d in kind(overlay, "HorizontalPodAutoscaler")
    }
    for doc in kind(overlay, "Deployment"):
        if not ours(doc):
            continue
        name = doc["metadata"]["name"]
        assert name in pdbs, name
        args = pod_spec(doc)["containers"][0].get("args", ["web"])
        if args in (["beat"], ["relay"]):
            # Exactly one: one scheduler; one relay keeps per-key order.
            assert doc["spec"]["replicas"] == 1 and doc["spec"]["strategy"]["type"] == "Recreate"
            assert name not in hpas
        else:
            assert doc["spec"]["strategy"]["type"] == "RollingUpdate"
            assert doc["spec"]["replicas"] >= 2
            spread = pod_spec(doc)["topologySpreadConstraints"]
            assert {c["topologyKey"] for c in spread} == {
                "topology.kubernetes.io/zone", "kubernetes.io/hostname"}  # fmt: skip
        if args in (["web"], ["worker"], ["consume"]):
            assert name in hpas, name
            assert hpas[name]["spec"]["maxReplicas"] > hpas[name]["spec"]["minReplicas"]
        if args == ["consume"]:
            assert hpas[name]["spec"]["maxReplicas"] <= 3  # no more consumers than partitions


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_as_jobs_before_the_pods_of_a_new_version_start(overlay):
    jobs = {d["metadata"]["name"]: d for d in kind(overlay, "Job")}
    for service in platform_table.SERVICES:
        if not service.database:
            continue
        assert pod_spec(jobs[f"migrate-{service.process}"])["containers"][0]["args"] == ["migrate"]
    assert pod_spec(jobs["kafka-topics"])["containers"][0]["args"] == [
        "manage", "kafka_ensure_topics"]  # fmt: skip
    assert pod_spec(jobs["search-index"])["containers"][0]["args"] == ["manage", "search_index"]
    for doc in kind(overlay, "Deployment"):
        if ours(doc) and doc["metadata"]["name"] not in ("gateway", "web"):
            init = pod_spec(doc)["initContainers"]
            assert [c["args"] for c in init] == [["wait-migrations"]], doc["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_exposes_only_the_gateway_and_the_web_app(overlay):
    (ingress,) = kind(overlay, "Ingress")
    backends = {
        path["path"]: path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"/api": "gateway", "/ws": "gateway", "/media": "gateway", "/": "web"}
    services = {d["metadata"]["name"]: d for d in kind(overlay, "Service")}
    for service in services.values():
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP"  # no NodePort / LB
    if overlay == "aws":
        annotations = ingress["metadata"]["annotations"]
        assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
        assert "idle_timeout.timeout_seconds=3600" in annotations[
            "alb.ingress.kubernetes.io/load-balancer-attributes"]  # fmt: skip


def selects(policy: dict, labels: dict) -> bool:
    selector = policy["spec"]["podSelector"]
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        present = expr["key"] in labels
        if expr["operator"] == "Exists" and not present:
            return False
        if expr["operator"] == "In" and labels.get(expr["key"]) not in expr["values"]:
            return False
        if expr["operator"] == "NotIn" and labels.get(expr["key"]) in expr["values"]:
            return False
    return True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default_and_admit_only_the_gateway_to_services(overlay):
    policies = kind(overlay, "NetworkPolicy")
    deny = next(p for p in policies if p["metadata"]["name"] == "default-deny-all")
    assert deny["spec"]["podSelector"] == {}
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]
    for doc in kind(overlay, "Deployment"):
        if not ours(doc):
            continue
        labels = doc["spec"]["template"]["metadata"]["labels"]
        name = doc["metadata"]["name"]
        admitting = [p for p in policies if "Ingress" in p["spec"]["policyTypes"]
                     and selects(p, labels) and p["spec"].get("ingress")]  # fmt: skip
        if name in ("gateway", "web"):
            assert [p["metadata"]["name"] for p in admitting] == ["public-entry"]
        elif pod_spec(doc)["containers"][0]["args"] == ["web"]:
            # A service: from the gateway's pods only, on its port only.
            assert len(admitting) == 1, (name, admitting)
            (rule,) = admitting[0]["spec"]["ingress"]
            assert rule["from"] == [{"podSelector": {"matchLabels": {
                "app.kubernetes.io/name": "gateway"}}}]  # fmt: skip
        else:
            assert admitting == [], name  # relays, consumers, workers: nothing comes in
    if overlay == "dev":
        # The in-cluster infrastructure admits the services only.
        for doc in kind(overlay, "StatefulSet") + kind(overlay, "Deployment"):
            if ours(doc):
                continue
            labels = doc["spec"]["template"]["metadata"]["labels"]
            admitting = [p for p in policies if selects(p, labels) and p["spec"].get("ingress")]
            assert admitting, doc["metadata"]["name"]
            for policy in admitting:
                for rule in policy["spec"]["ingress"]:
                    for peer in rule["from"]:
                        selector = peer["podSelector"]
                        assert selector.get("matchExpressions") == [
                            {"key": "rentezy.dev/service", "operator": "Exists"}
                        ] or selector.get("matchLabels") == {
                            "app.kubernetes.io/name": doc["metadata"]["name"]}  # fmt: skip


# -- Kafka, Redis, storage -----------------------------------------------------------


def test_the_kafka_cluster_has_three_kraft_nodes_and_durable_topics():
    (statefulset,) = [d for d in kind("dev", "StatefulSet") if d["metadata"]["name"] == "kafka"]
    assert statefulset["spec"]["replicas"] == 3
    props = dict(
        line.split("=", 1)
        for line in (ROOT / "kafka" / "cluster.properties").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert props["process.roles"] == "broker,controller"
    assert len(props["controller.quorum.voters"].split(",")) == 3
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["unclean.leader.election.enable"] == "false"
    config = {
        line.split("=", 1)[0]: line.split("=", 1)[1]
        for line in (ROOT / "k8s" / "base" / "config.env").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert config["KAFKA_TOPIC_REPLICATION_FACTOR"] == "3"
    assert config["KAFKA_TOPIC_MIN_INSYNC_REPLICAS"] == "2"
    assert "zookeeper" not in (ROOT / "kafka" / "cluster.properties").read_text().lower()
    assert "KRaft" in (ROOT / "zookeeper" / "README.md").read_text()


def test_photos_live_on_efs_shared_read_write_by_every_property_pod():
    (storage_class,) = kind("aws", "StorageClass")
    assert storage_class["provisioner"] == "efs.csi.aws.com"
    (claim,) = kind("aws", "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"] == storage_class["metadata"]["name"]
    property_pod = next(d for d in kind("aws", "Deployment") if d["metadata"]["name"] == "property")
    volumes = pod_spec(property_pod)["volumes"]
    assert {"name": "media", "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}} in (
        volumes
    )
    policy = json.loads((ROOT / "efs-role" / "iam-policy.json").read_text())
    actions = set()
    for statement in policy["Statement"]:
        action = statement["Action"]
        actions.update(action if isinstance(action, list) else [action])
    assert "elasticfilesystem:CreateAccessPoint" in actions
    account = yaml.safe_load((ROOT / "efs-role" / "service-account.yaml").read_text())
    assert "eks.amazonaws.com/role-arn" in account["metadata"]["annotations"]


def test_redis_keeps_the_broker_safe():
    conf = (ROOT / "redis" / "production.conf").read_text().split("\n")
    assert "maxmemory-policy noeviction" in conf
    assert "appendonly yes" in conf


# -- the environment each service's settings need -------------------------------


def secret_keys_used(overlay: str) -> set[str]:
    keys = set()
    for doc in docs(overlay):
        if doc["kind"] in WORKLOAD_KINDS and ours(doc):
            for container in pod_spec(doc)["containers"]:
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        keys.add(ref["key"])
    return keys


def test_the_secret_template_names_every_secret_and_no_value():
    (template,) = yaml.safe_load_all((ROOT / "k8s" / "base" / "secret.template.yaml").read_text())
    assert set(template["stringData"].values()) == {""}
    for overlay in OVERLAYS:
        assert secret_keys_used(overlay) <= set(template["stringData"]), overlay
    (dev_secret,) = kind("dev", "Secret")
    assert set(dev_secret["data"]) == set(template["stringData"])
    assert kind("aws", "Secret") == []  # from AWS Secrets Manager (External Secrets)
    external = list(
        yaml.safe_load_all((ROOT / "k8s/overlays/aws/external-secret.yaml").read_text())
    )
    assert {d["kind"] for d in external} == {"SecretStore", "ExternalSecret"}
    assert next(d for d in external if d["kind"] == "ExternalSecret")["spec"]["target"][
        "name"] == "rentezy-secrets"  # fmt: skip


def k8s_environment(overlay: str, process: str) -> dict[str, str]:
    """The container's environment as the kubelet builds it: ConfigMap and
    Secret references resolved ($(VAR) expansion included)."""
    config = kind(overlay, "ConfigMap")
    (rentezy_config,) = [c for c in config if c["metadata"]["name"].startswith("rentezy-config")]
    # What AWS Secrets Manager holds (long enough for every length check).
    secrets = {key: "from-secrets-manager-" + "0" * 43 for key in secret_keys_used(overlay)}
    for secret in kind(overlay, "Secret"):
        secrets |= {k: base64.b64decode(v).decode() or "set" for k, v in secret["data"].items()}
    deployment = next(d for d in kind(overlay, "Deployment") if d["metadata"]["name"] == process)
    env: dict[str, str] = {}
    for item in pod_spec(deployment)["containers"][0]["env"]:
        ref = item.get("valueFrom", {})
        if "configMapKeyRef" in ref:
            assert ref["configMapKeyRef"]["name"] == rentezy_config["metadata"]["name"]
            env[item["name"]] = rentezy_config["data"][ref["configMapKeyRef"]["key"]]
        elif "secretKeyRef" in ref:
            env[item["name"]] = secrets[ref["secretKeyRef"]["key"]]
        else:
            value = item["value"]
            for name, known in env.items():
                value = value.replace(f"$({name})", known)
            env[item["name"]] = value
    return env


def compose_environment(process: str) -> dict[str, str]:
    return {k: v for k, v in compose()["services"][process]["environment"].items() if v is not None}


LOAD_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
values = {
    "databases": [db.get("HOST") for db in settings.DATABASES.values()],
    "kafka": getattr(settings, "KAFKA_BOOTSTRAP_SERVERS", ""),
    "redis": getattr(settings, "REDIS_URL", ""),
    "search": getattr(settings, "SEARCH_URL", ""),
    "celery": getattr(settings, "CELERY_BROKER_URL", ""),
    "upstreams": list(getattr(settings, "UPSTREAM_URLS", {}).values()),
    "stripe": getattr(settings, "STRIPE_API_BASE", ""),
    "email": getattr(settings, "EMAIL_HOST", ""),
}
print(json.dumps(values))
"""


def load_settings(folder: str, env: dict[str, str]) -> dict:
    clean = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    result = run(sys.executable, "-c", LOAD_SETTINGS, cwd=ROOT / folder, env=clean)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("service", platform_table.SERVICES, ids=lambda s: s.process)
def test_each_service_starts_in_production_with_the_environment_compose_and_kubernetes_give_it(
    service,
):
    environments = {"compose": compose_environment(service.process)}
    for overlay in OVERLAYS:
        environments[overlay] = k8s_environment(overlay, service.process)
    for where, env in environments.items():
        assert env["DJANGO_ENV"] == "production", where
        values = load_settings(service.folder, env)
        # Nothing the service uses may fall back to a loopback default.
        used = {"upstreams": values["upstreams"]} if service.process == "gateway" else {}
        if service.database:
            used["databases"] = values["databases"]
        for use in ("kafka", "redis", "search", "stripe"):
            if use in service.uses:
                used[use] = values[use]
        if "smtp" in service.uses:
            used["email"] = values["email"]
        if service.uses and "redis" in service.uses and values["celery"]:
            used["celery"] = values["celery"]
        flat = json.dumps(used)
        assert "127.0.0.1" not in flat and "localhost" not in flat, (where, used)
        assert all(used.values()), (where, used)
        if "redis" in service.uses:
            assert values["redis"].startswith(("redis://", "rediss://")), where
        if "stripe" in service.uses and where == "aws":
            assert values["stripe"] == "https://api.stripe.com", where
        # The workers of the service run with the same environment.
        for process in platform_table.processes():
            if process.service is service and process.role != "web":
                other = (
                    compose_environment(process.name)
                    if where == "compose"
                    else k8s_environment(where, process.name)
                )
                other.pop("CELERY_CONCURRENCY", None)
                assert other == env, (where, process.name)
