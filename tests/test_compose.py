"""docker-compose.yml runs what the README says: Postgres, a Chroma server, one indexer and
two bot replicas in webhook mode behind a load balancer, all on one database URL."""

from __future__ import annotations

from typing import Any

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
