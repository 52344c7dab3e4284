"""The wheel, as an operator installs it: built from the sources with `pip wheel`, installed
into a fresh environment, and run with the working directory outside the tree. It carries
the default prompts and the sample article as package data, found inside the installed package,
and indexes and answers the sample question with a citation.

To keep it cheap, the fresh environment gets the wheel alone (--no-deps), and finds the
dependencies in this run's own environment through a .pth line naming its site-packages.
A plain path line in a .pth is not itself a site folder, so the editable install's hook in
there is never run: `bot` can only come from the wheel, which the test checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import PROJECT_DIR

QUESTION = "who controls Qairawan?"
# What the wheel is built from: the packages and the files pyproject.toml names.
SOURCES = ("bot", "index", "pyproject.toml", "README.md")
TIMEOUT = 600  # building and a first question on a busy machine


@dataclass(frozen=True)
class Installed:
    """A fresh environment holding the wheel, and where to run it from."""

    python: Path
    newsdesk: Path
    cwd: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.newsdesk), *args],
            cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=TIMEOUT,
        )  # fmt: skip

    def python_prints(self, code: str) -> str:
        ran = subprocess.run([str(self.python), "-c", code], cwd=self.cwd, env=self.env,
                             capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        return ran.stdout.strip()


def build_wheel(into: Path) -> Path:
    """`pip wheel --no-deps` of a copy of the sources, so the build leaves nothing in the tree."""
    source = into / "source"
    source.mkdir()
    for name in SOURCES:
        path = PROJECT_DIR / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy(path, source / name)
    wheels = into / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(wheels), str(source)],
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("newsdesk-*.whl")
    return wheel


def install_fresh(wheel: Path, root: Path) -> Path:
    """A new environment with the wheel alone in it, reading this run's dependencies."""
    environment = root / "env"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    return environment


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    environment = install_fresh(build_wheel(root), root)
    cwd = root / "elsewhere"
    cwd.mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("NEWSDESK_", "TELEGRAM_", "PYTHON", "VIRTUAL_ENV"))
    }
    env |= {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "NEWSDESK_HOME": str(root / "home"),
        "NEWSDESK_MODELS_DIR": str(root / "models"),
    }
    bin_dir = environment / "bin"
    return Installed(bin_dir / "python", bin_dir / "newsdesk", cwd, env)


def test_the_wheel_is_what_runs_not_the_checkout(installed: Installed) -> None:
    where = installed.python_prints("import bot, index; print(bot.__file__); print(index.__file__)")
    site = installed.python.parent.parent
    for module in where.splitlines():
        assert Path(module).is_relative_to(site), f"{module} is not the wheel's"
    assert not Path(installed.cwd).is_relative_to(PROJECT_DIR)


def test_the_prompts_and_the_sample_ship_inside_the_package(installed: Installed) -> None:
    code = "from bot.settings import SAMPLE_DIR as S, SHIPPED_PROMPTS_DIR as P; print(S); print(P)"
    sample, prompts = map(Path, installed.python_prints(code).splitlines())
    site = installed.python.parent.parent
    assert sample.is_relative_to(site) and prompts.is_relative_to(site)
    assert [path.name for path in sample.glob("*.txt")] == ["mosul-campaign-2017.txt"]
    shipped = sorted(path.name for path in prompts.glob("*.txt"))
    assert shipped == ["answer.txt", "condense.txt", "help.txt", "refusal.txt"]
    assert (prompts / "README.md").is_file()

    shown = installed.run("prompts", "show", "answer")
    assert shown.returncode == 0, shown.stderr
    assert "{passages}" in shown.stdout and "{question}" in shown.stdout


def test_the_installed_wheel_indexes_the_sample_and_answers_with_a_citation(
    installed: Installed,
) -> None:
    sample = installed.python_prints("from bot.settings import SAMPLE_DIR; print(SAMPLE_DIR)")
    for step in (("models", "export"), ("index", "--quiet", sample)):
        done = installed.run(*step)
        assert done.returncode == 0, f"{step}: {done.stderr}"
    asked = installed.run("ask", "--json", QUESTION)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and answer["citations"]
    assert "[1]" in answer["answer"] and "al-Hashd al-Shaabi" in answer["answer"]
    # The language detector's model comes with its package, kept unpacked in the models folder.
    asked = installed.run("ask", "--json", "Кто контролирует Каирван?")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["language"] == "ru"


def test_the_catalogs_ship_inside_the_package(installed: Installed) -> None:
    code = (
        "from bot.translation import translations as t; "
        "print(t('ru').gettext('Please send your question as text.'))"
    )
    assert installed.python_prints(code) == "Пожалуйста, отправьте ваш вопрос текстом."
