"""The runtime without torch: the ONNX backends run an export made once at install
(`newsdesk models export`), tokenizing with the `tokenizers` library alone, and make the very
vectors the transformers tokenizer made; `--help` and `--version` load nothing but the
command line (BENCHMARKS.md, "Start-up without torch")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.cli.main import main
from index.embeddings import onnx_export
from index.onnx_encoder import INPUTS, OnnxEncoder
from tests.conftest import SEED_DIR
from tests.test_embedding_backends import TEXTS
from tests.test_wiring import newsdesk

TORCH_EXTRA = ("torch", "transformers", "sentence_transformers")
# Python's own "not installed": importing a name that sys.modules maps to None raises
# ImportError, as if torch had never been installed.
WITHOUT_TORCH = """
import sys
for name in {names!r}:
    sys.modules[name] = None
from bot.cli.main import main
sys.exit(main({args!r}))
"""
MORE_TEXTS = [
    *TEXTS,
    "Café naïve résumé: “quotes”, 北京, an emoji 🙂 and   odd   spacing.",
    "word " * 400,  # past max_seq_length: truncated as transformers truncated it
    "",
]
LOADED = """
import sys
from bot.cli.main import main
try:
    main([{flag!r}])
except SystemExit as done:
    code = done.code
print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))
sys.exit(code)
"""


@pytest.mark.parametrize("quantize", [False, True])
def test_the_runtime_tokenizer_makes_the_vectors_the_transformers_one_made(
    quantize: bool, models_dir: Path
) -> None:
    """Stores were built with vectors of transformers' AutoTokenizer ids: the `tokenizers`
    library reading the export's tokenizer.json gives the same ids, so the same vectors."""
    from transformers import AutoTokenizer

    folder = onnx_export("all-MiniLM-L6-v2", quantize, models_dir)
    encoder = OnnxEncoder(folder)
    reference = AutoTokenizer.from_pretrained(str(folder))
    vectors = encoder.encode(MORE_TEXTS)
    for text, vector in zip(MORE_TEXTS, vectors, strict=True):
        ids = reference([text], truncation=True, max_length=encoder.max_length, return_tensors="np")
        ours = encoder.tokenizer.encode(text)
        assert ours.ids == ids["input_ids"][0].tolist()
        assert ours.attention_mask == ids["attention_mask"][0].tolist()
        assert ours.type_ids == ids["token_type_ids"][0].tolist()
        feeds = {name: ids[name].astype(np.int64) for name in INPUTS}
        (hidden,) = encoder.session.run(["last_hidden_state"], feeds)
        pooled = hidden[0].mean(axis=0)
        expected = pooled / np.linalg.norm(pooled)
        assert np.abs(vector - expected).max() < 1e-6
    assert len(encoder.tokenizer.encode(MORE_TEXTS[-2]).ids) == encoder.max_length


def test_models_export_then_a_runtime_without_torch_indexes_and_answers(
    tmp_path: Path, models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "export"]) == 0
    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert sorted(printed) == ["fp32", "int8", "language"]
    assert all(Path(folder).parent == models_dir for folder in printed.values())
    assert all((Path(printed[name]) / "tokenizer.json").is_file() for name in ("fp32", "int8"))
    # The language detector's model, unpacked at install: no question unpacks or writes it.
    assert (Path(printed["language"]) / "nextmove.bin").is_file()

    home = tmp_path / "home"
    indexed = newsdesk(
        home, code=WITHOUT_TORCH.format(names=TORCH_EXTRA, args=["index", str(SEED_DIR)])
    )
    assert indexed.returncode == 0, indexed.stderr
    asked = newsdesk(
        home,
        code=WITHOUT_TORCH.format(
            names=TORCH_EXTRA, args=["ask", "--json", "who controls Qairawan?"]
        ),
    )
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and answer["citations"]


def test_without_torch_a_missing_export_or_the_torch_backend_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_MODELS_DIR", str(tmp_path / "no-exports"))
    home = tmp_path / "home"
    no_export = newsdesk(
        home, code=WITHOUT_TORCH.format(names=TORCH_EXTRA, args=["index", str(SEED_DIR)])
    )
    assert no_export.returncode == 2
    assert "newsdesk models export" in no_export.stderr
    assert "newsdesk[torch]" in no_export.stderr

    monkeypatch.setenv("NEWSDESK_EMBEDDING_BACKEND", "torch")
    torch_backend = newsdesk(
        tmp_path / "torch-home",
        code=WITHOUT_TORCH.format(names=TORCH_EXTRA, args=["index", str(SEED_DIR)]),
    )
    assert torch_backend.returncode == 2
    assert "the torch embedding backend needs torch" in torch_backend.stderr
    assert "pip install 'newsdesk[torch]'" in torch_backend.stderr


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_load_no_settings_and_no_model(flag: str, tmp_path: Path) -> None:
    heavy = ["pydantic", "langchain_core", "chromadb", "onnxruntime", "numpy", "py3langid"]
    heavy += TORCH_EXTRA
    ran = newsdesk(tmp_path / "home", code=LOADED.format(flag=flag, heavy=heavy))
    assert ran.returncode == 0, ran.stderr
    *printed, loaded = ran.stdout.strip().splitlines()
    assert loaded == "[]"
    if flag == "--version":
        assert printed == [f"newsdesk {_installed_version()}"]
    else:
        assert printed[0].startswith("usage: newsdesk")


def _installed_version() -> str:
    from importlib.metadata import version

    return version("newsdesk")


def test_short_texts_embedded_together_get_the_vectors_each_gets_alone(models_dir: Path) -> None:
    """The reader's names go in one padded run a worker (encode_together): with fp32 each
    name's vector is the one it gets alone, whatever it was batched with."""
    encoder = OnnxEncoder(onnx_export("all-MiniLM-L6-v2", False, models_dir))
    names = ["team", "Buffalo Bills", "University of Cincinnati Medical Center", "NFL", "x"]
    alone = encoder.encode(names)
    together = encoder.encode_together(names)
    assert together.shape == alone.shape
    assert np.abs(together - alone).max() < 1e-5
    assert np.abs(encoder.encode_together(names[1:2])[0] - alone[1]).max() < 1e-5
    assert encoder.encode_together([]).shape == (0, 0)


def test_models_export_says_when_the_language_model_can_t_be_kept(
    tmp_path: Path,
    models_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A file where the detector's unpacked copy goes (so it can't be kept there): an error
    naming it, after the ONNX exports."""
    assert main(["models", "export"]) == 0
    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    mine = tmp_path / "models"
    for name in ("fp32", "int8"):
        shutil.copytree(printed[name], mine / Path(printed[name]).name)
    (mine / Path(printed["language"]).name).write_text("not a folder")
    monkeypatch.setenv("NEWSDESK_MODELS_DIR", str(mine))
    assert main(["models", "export"]) == 2
    err = capsys.readouterr().err
    assert "the language detector's model: could not keep" in err and str(mine) in err
