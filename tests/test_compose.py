"""docker-compose.yml runs what the README says: Postgres, a Chroma server, one indexer and
two bot replicas in webhook mode behind a load balancer, all on one database URL."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from bot.settings import PROJECT_DIR
from bot.state.database import parse_url


def services() -> dict[str, Any]:
    data = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
    return dict(data["services"])


def test_compose_runs_one_indexer_and_two_webhook_replicas_on_postgres_and_chroma() -> None:
    found = services()
    assert {"postgres", "chroma", "indexer", "bot-1", "bot-2", "lb"} <= set(found)
    assert found["chroma"]["command"][:2] == ["chroma", "run"]
    roles = {
        name: found[name]["environment"]["NEWSDESK_ROLE"] for name in ("indexer", "bot-1", "bot-2")
    }
    assert roles == {"indexer": "indexer", "bot-1": "bot", "bot-2": "bot"}
    for name in ("bot-1", "bot-2"):
        assert found[name]["command"] == ["newsdesk", "bot", "--webhook"]
        assert found[name]["environment"]["NEWSDESK_WEBHOOK_LISTEN"] == "0.0.0.0"
    urls = {found[name]["environment"]["NEWSDESK_DATABASE_URL"] for name in roles}
    (url,) = urls
    assert parse_url(url.replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "pw"))
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    assert {found[name]["environment"]["NEWSDESK_CHROMA_HOST"] for name in roles} == {"chroma"}
    homes = {found[name]["volumes"][0] for name in roles}
    assert len(homes) == 3, "each replica keeps its own NEWSDESK_HOME (keyword index, journal)"


def test_the_indexer_reindexes_the_articles_folder_beside_the_file() -> None:
    indexer = services()["indexer"]
    assert "./articles:/articles:ro" in indexer["volumes"]
    assert indexer["environment"]["NEWSDESK_SOURCES"] == "${NEWSDESK_SOURCES:-/articles}"
    assert PROJECT_DIR.joinpath(".dockerignore").read_text().splitlines().count("articles") == 1


def test_the_load_balancer_spreads_over_both_replicas() -> None:
    found = services()
    (mount,) = found["lb"]["volumes"]
    source, target, _ = mount.split(":")
    assert target == "/etc/nginx/conf.d/default.conf"
    config = (PROJECT_DIR / source).read_text()
    assert "server bot-1:8443;" in config and "server bot-2:8443;" in config
    assert "proxy_pass http://newsdesk;" in config


def test_the_load_balancer_keeps_healthz_to_itself() -> None:
    """/healthz is for whoever runs the replicas, on their own ports: through the public load
    balancer it is refused (nginx matches the path after decoding %XX and merging slashes)."""
    (mount,) = services()["lb"]["volumes"]
    config = (PROJECT_DIR / mount.split(":")[0]).read_text()
    refused = re.search(r"location /healthz \{\s*deny all;\s*\}", config)
    assert refused is not None, config


def test_docker_compose_accepts_the_file() -> None:
    """Compose's own validation (no daemon needed), where a compose command is installed."""
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("no docker-compose command here")
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": "pw",
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "NEWSDESK_WEBHOOK_URL": "https://bot.example.org/telegram",
        "NEWSDESK_WEBHOOK_SECRET": "secret",
    }
    checked = subprocess.run([compose, "config", "-q"], cwd=PROJECT_DIR, env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    missing = subprocess.run([compose, "config", "-q"], cwd=PROJECT_DIR, capture_output=True,
                             text=True, timeout=60, env={"PATH": os.environ["PATH"]})  # fmt: skip
    assert missing.returncode != 0 and "in .env" in missing.stderr
