"""docker/compose.yaml: what ``docker compose config`` (or Debian's docker-compose) makes of it.

Only the file is checked here (no images are pulled, no container runs): the services and what
they share, the replica count, that only nginx publishes a port, and that a missing password stops
it with a message naming the variable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, require

COMPOSE_FILE = REPO / "docker" / "compose.yaml"
SECRETS = {"NEO4J_PASSWORD": "neo4j-test-pw", "POSTGRES_PASSWORD": "pg-test-pw",
           "REDIS_PASSWORD": "redis-test-pw", "KGDECIDE_SECRET_KEY": "k" * 40}


def compose_command() -> list[str]:
    """``docker compose`` when the plugin is there, else Debian's ``docker-compose``."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                 capture_output=True).returncode == 0:
        return ["docker", "compose"]
    found = shutil.which("docker-compose")
    require(found is not None, "neither `docker compose` nor docker-compose is installed: "
                               "run scripts/setup --services")
    return [str(found)]


def config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("KGDECIDE_")}
    return subprocess.run([*compose_command(), "-f", str(COMPOSE_FILE), "config"],
                          env={**keep, **env}, capture_output=True, text=True, timeout=60,
                          cwd=COMPOSE_FILE.parent)


def test_compose_config_accepts_the_deployment() -> None:
    done = config(SECRETS)
    assert done.returncode == 0, done.stderr
    conf = yaml.safe_load(done.stdout)
    services = conf["services"]
    assert set(services) == {"neo4j", "postgres", "redis", "app", "nginx"}
    app = services["app"]
    assert app["deploy"]["replicas"] == 2
    env = app["environment"]
    assert env["KGDECIDE_DATABASE_URL"] == "postgresql://kgdecide:pg-test-pw@postgres:5432/kgdecide"
    assert env["KGDECIDE_REDIS_URL"] == "redis://:redis-test-pw@redis:6379/0"
    assert env["KGDECIDE_SECRET_KEY"] == "k" * 40
    assert "bolt://neo4j:7687" in app["command"]
    assert set(app["depends_on"]) == {"neo4j", "postgres", "redis"}
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"nginx", "neo4j"}  # the app servers are reached through nginx only
    for name in published:
        for port in services[name]["ports"]:
            host_ip = port["host_ip"] if isinstance(port, dict) else str(port).split(":")[0]
            assert host_ip == "127.0.0.1", (name, port)
    nginx_conf = Path(COMPOSE_FILE.parent / "nginx.conf").read_text()
    assert "server app:8000" in nginx_conf and "proxy_pass http://kgdecide;" in nginx_conf
    assert any("nginx.conf" in str(v) for v in services["nginx"]["volumes"])


def test_replica_count_comes_from_the_environment() -> None:
    done = config({**SECRETS, "KGDECIDE_REPLICAS": "4"})
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["services"]["app"]["deploy"]["replicas"] == 4


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_a_missing_secret_stops_compose_naming_it(missing: str) -> None:
    done = config({k: v for k, v in SECRETS.items() if k != missing})
    assert done.returncode != 0
    assert missing in done.stderr
