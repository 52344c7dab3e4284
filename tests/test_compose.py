"""docker-compose.yml runs what the README says: Postgres, a Chroma server, one indexer and
two bot replicas in webhook mode behind a load balancer, all on one database URL."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values

from bot.settings import PROJECT_DIR
from bot.state.database import parse_url
from tests.support.engines import engine_unavailable


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


# --- .env reaches every newsdesk service ---------------------------------------------------

NEWSDESK_SERVICES = ("indexer", "bot-1", "bot-2")
# What an operator puts in .env (besides .env.example's defaults): the settings compose used
# to drop, and the secrets the file requires.
OPERATOR_ENV = {
    "NEWSDESK_LLM": "openai:gpt-4o-mini",
    "NEWSDESK_LLM_BASE_URL": "http://llm.internal:8000/v1",
    "NEWSDESK_ALLOWED_USER_IDS": "42,43",
    "NEWSDESK_RATE_LIMIT_PER_MINUTE": "3",
    "TELEGRAM_BOT_TOKEN": "123:abc",
    "POSTGRES_PASSWORD": "pw",
    "NEWSDESK_WEBHOOK_URL": "https://bot.example.org/telegram",
    "NEWSDESK_WEBHOOK_SECRET": "secret",
}
# Set for the containers whatever .env says: the host's paths and addresses don't apply.
CONTAINER_ENV = {
    "NEWSDESK_HOME": "/data",
    "NEWSDESK_MODELS_DIR": "/app/models",
    "NEWSDESK_CHROMA_HOST": "chroma",
    "NEWSDESK_DATABASE_URL": "postgresql+psycopg://newsdesk:pw@postgres:5432/newsdesk",
}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def operator_folder(folder: Path, settings: dict[str, str]) -> Path:
    """The compose file and what it mounts, with a .env made from .env.example and
    `settings` in place of its lines."""
    folder.mkdir(exist_ok=True)
    shutil.copy(PROJECT_DIR / "docker-compose.yml", folder)
    shutil.copytree(PROJECT_DIR / "deploy", folder / "deploy")
    lines = []
    for line in (PROJECT_DIR / ".env.example").read_text().splitlines():
        name = line.partition("=")[0]
        lines.append(f"{name}={settings[name]}" if name in settings else line)
    missing = [f"{name}={value}" for name, value in settings.items() if f"\n{name}=" not in
               "\n" + "\n".join(lines)]  # fmt: skip
    (folder / ".env").write_text("\n".join([*lines, *missing]) + "\n")
    return folder


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} in one value."""

    def replace(match: re.Match[str]) -> str:
        name, kind, word = match.groups()
        found = variables.get(name, "")
        if kind == "?" and not found:
            raise AssertionError(f"compose would stop: {word}")
        return found or (word if kind == "-" else "")

    return INTERPOLATION.sub(replace, value)


def environment_by_yaml(folder: Path) -> dict[str, dict[str, str]]:
    """Each service's environment as compose builds it, where no compose command is
    installed: PyYAML resolves the anchors and merge keys, each env_file is read in order,
    then `environment:` wins, with ${...} taken from .env as compose does."""
    variables = {k: v or "" for k, v in dotenv_values(folder / ".env").items()}
    found: dict[str, dict[str, str]] = {}
    for name, service in yaml.safe_load((folder / "docker-compose.yml").read_text())[
        "services"
    ].items():
        env_files = service.get("env_file", [])
        environment: dict[str, str] = {}
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            path = env_file if isinstance(env_file, str) else env_file["path"]
            values = dotenv_values(folder / path, interpolate=False)
            environment |= {key: value or "" for key, value in values.items()}
        for key, value in (service.get("environment") or {}).items():
            environment[key] = interpolate(str(value), variables)
        found[name] = environment
    return found


def environment_by_compose(folder: Path, compose: list[str]) -> dict[str, dict[str, str]]:
    rendered = subprocess.run([*compose, "config"], cwd=folder, capture_output=True, text=True,
                              timeout=120, env={"PATH": os.environ["PATH"]})  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    services = yaml.safe_load(rendered.stdout)["services"]
    return {name: dict(service.get("environment") or {}) for name, service in services.items()}


def compose_command() -> list[str] | None:
    """`docker compose` (v2) or `docker-compose` (1.x), whichever is installed."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def renderings(folder: Path) -> dict[str, dict[str, dict[str, str]]]:
    """The YAML reading always, and compose's own where a compose command is installed."""
    found = {"yaml": environment_by_yaml(folder)}
    if (compose := compose_command()) is not None:
        found[" ".join(Path(part).name for part in compose)] = environment_by_compose(
            folder, compose
        )
    return found


def test_every_setting_in_env_reaches_the_indexer_and_each_replica(tmp_path: Path) -> None:
    folder = operator_folder(tmp_path, OPERATOR_ENV)
    dotenv = {k: v or "" for k, v in dotenv_values(folder / ".env").items()}
    assert len(dotenv) >= 40, "the .env holds every setting of .env.example"
    for how, environments in renderings(folder).items():
        for name in NEWSDESK_SERVICES:
            environment = environments[name]
            assert environment["NEWSDESK_LLM"] == "openai:gpt-4o-mini", (how, name)
            for key, value in dotenv.items():
                if key not in CONTAINER_ENV and key not in ("NEWSDESK_ROLE", "NEWSDESK_SOURCES"):
                    if key.startswith("NEWSDESK_WEBHOOK_") and name.startswith("bot-"):
                        continue  # the replicas' own, below
                    assert environment.get(key) == value, (how, name, key)
            for key, value in CONTAINER_ENV.items():
                assert environment[key] == value, (how, name, key)


def test_each_services_own_settings_win_over_env(tmp_path: Path) -> None:
    """.env.example's NEWSDESK_ROLE=all and NEWSDESK_WEBHOOK_LISTEN=127.0.0.1 are the host's:
    the indexer stays the indexer, and the replicas listen where the load balancer reaches."""
    folder = operator_folder(tmp_path, OPERATOR_ENV)
    for how, environments in renderings(folder).items():
        roles = {name: environments[name]["NEWSDESK_ROLE"] for name in NEWSDESK_SERVICES}
        assert roles == {"indexer": "indexer", "bot-1": "bot", "bot-2": "bot"}, how
        assert environments["indexer"]["NEWSDESK_SOURCES"] == "/articles", how
        for name in ("bot-1", "bot-2"):
            assert environments[name]["NEWSDESK_WEBHOOK_LISTEN"] == "0.0.0.0", how
            assert environments[name]["NEWSDESK_WEBHOOK_PORT"] == "8443", how
            url = environments[name]["NEWSDESK_WEBHOOK_URL"]
            assert url == "https://bot.example.org/telegram", how


def test_the_yaml_reading_notices_a_service_without_the_env_file(tmp_path: Path) -> None:
    """The check can fail: a replica that lost `env_file` lacks NEWSDESK_LLM."""
    folder = operator_folder(tmp_path, OPERATOR_ENV)
    text = (folder / "docker-compose.yml").read_text()
    assert text.count("  env_file: .env\n") == 1
    broken = text.replace(
        "  bot-2:\n    <<: *replica\n", "  bot-2:\n    <<: *replica\n    env_file: []\n"
    )
    assert broken != text
    (folder / "docker-compose.yml").write_text(broken)
    environments = environment_by_yaml(folder)
    assert "NEWSDESK_LLM" in environments["bot-1"] and "NEWSDESK_LLM" not in environments["bot-2"]


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    """Compose's own validation (no daemon needed), where a compose command is installed: with
    the operator's .env it passes; a .env without the secrets, or none, stops it, naming .env."""
    compose = compose_command()
    if compose is None:
        engine_unavailable(
            "no docker compose or docker-compose command here (apt-get install -y docker-compose)"
        )

    def check(folder: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*compose, "config", "-q"], cwd=folder, capture_output=True,
                              text=True, timeout=120, env={"PATH": os.environ["PATH"]})  # fmt: skip

    good = operator_folder(tmp_path / "good", OPERATOR_ENV)
    assert check(good).returncode == 0, check(good).stderr
    without_secrets = {k: v for k, v in OPERATOR_ENV.items() if k != "POSTGRES_PASSWORD"}
    missing = check(operator_folder(tmp_path / "no-secrets", without_secrets))
    assert missing.returncode != 0 and "set POSTGRES_PASSWORD in .env" in missing.stderr
    no_env = operator_folder(tmp_path / "no-env", OPERATOR_ENV)
    (no_env / ".env").unlink()
    refused = check(no_env)
    assert refused.returncode != 0 and ".env" in refused.stderr
