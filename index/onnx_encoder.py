"""The embedding model run by ONNX Runtime instead of torch, fp32 or dynamically quantized to
int8: the same vectors (within rounding, see BENCHMARKS.md, "Embedding backends") at a
fraction of the cost on a CPU.

The model folder ships only torch weights, so the ONNX graph is exported from them once, on
this machine, and cached under NEWSDESK_MODELS_DIR; nothing is downloaded. The export needs
torch (the torch extra) and is made at install by `newsdesk models export`, or on first use
where torch is installed; running it needs only ONNX Runtime and `tokenizers`. The export is
written to a temporary folder and renamed into place, so a crash leaves either a whole cache
or none.

Supported: sentence-transformers folders of a Transformer with mean pooling (and optionally
Normalize), as the bundled all-MiniLM-L6-v2 is. Anything else is refused with a message
naming the torch backend, which runs every model.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.errors import NewsdeskError

if TYPE_CHECKING:
    import onnxruntime

log = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
DONE_MARK = "export.json"
# Part of the int8 export's cache name: an export made with other quantization options is
# another model, made anew rather than reused.
QUANTIZATION_RECIPE = "matmul-per-channel-7bit"


class OnnxExportError(NewsdeskError):
    """The model can't be exported to or run by ONNX Runtime; the message says what to do."""


def _sentence_transformers_config(folder: Path) -> tuple[int, bool]:
    """(max_seq_length, normalize) of a sentence-transformers folder, or OnnxExportError."""
    refuse = (
        f"the ONNX backends run sentence-transformers models of a Transformer with mean "
        f"pooling; {folder} is not one: set NEWSDESK_EMBEDDING_BACKEND=torch"
    )
    try:
        modules = json.loads((folder / "modules.json").read_text())
        types = [module["type"].rsplit(".", 1)[-1] for module in modules]
        pooling_path = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((folder / pooling_path / "config.json").read_text())
        length = json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"]
    except (OSError, ValueError, KeyError, StopIteration) as error:
        raise OnnxExportError(f"{refuse} ({type(error).__name__})") from error
    if types[:2] != ["Transformer", "Pooling"] or not pooling.get("pooling_mode_mean_tokens"):
        raise OnnxExportError(refuse)
    return int(length), "Normalize" in types


def export(folder: Path, target: Path, quantize: bool) -> None:
    """Export the Transformer of `folder` to `target/model.onnx` (int8 weights if `quantize`),
    with the tokenizer beside it. Writes to a temporary folder and renames it into place."""
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging
    except ImportError as error:
        # The runtime has no torch: the export is made at install (`newsdesk models export`).
        raise OnnxExportError(
            f"the ONNX export of {folder.name} is not in {target.parent}, and it can't be made "
            f"without {error.name or 'torch'}: run `newsdesk models export` where the torch "
            "extra is installed (pip install 'newsdesk[torch]'; ./start does it), or point "
            "NEWSDESK_MODELS_DIR at a folder holding the export"
        ) from error

    max_length, normalize = _sentence_transformers_config(folder)
    log.info("exporting %s to ONNX%s, once, into %s", folder.name, " int8" if quantize else "",
             target)  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    stack = contextlib.ExitStack()
    try:
        # The exporter's tracer warnings, the weight-loading bar, the quantizer's per-tensor
        # INFO lines and its advice to pre-process the graph (a root WARNING) are about the
        # export's internals, not anything a user can act on.
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        stack.callback(logging.getLogger().setLevel, logging.getLogger().level)
        logging.getLogger().setLevel(logging.ERROR)
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        model = AutoModel.from_pretrained(str(folder), attn_implementation="eager")
        encoder = _last_hidden_state(model).eval()
        example = tokenizer(
            ["an example", "a longer example text"], padding=True, return_tensors="pt"
        )
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
        exported = staging / "fp32.onnx"
        with torch.no_grad():
            torch.onnx.export(
                encoder,
                tuple(example[name] for name in INPUTS),
                str(exported),
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        if quantize:
            # Per-channel int8 weights of the MatMuls only: per-tensor weights, or quantizing the
            # embedding lookups too, moved the vectors several times further from fp32's.
            # 7-bit weights (reduce_range): on AVX2 CPUs without VNNI, ONNX Runtime's u8 x s8
            # kernels sum pairs of products in int16, which full 8-bit weights can saturate;
            # 7-bit ones can't. On two single-thread sessions they embed 3 times as fast as
            # torch (BENCHMARKS.md, "The default: int8 with 7-bit weights").
            quantize_dynamic(
                str(exported),
                str(staging / "model.onnx"),
                weight_type=QuantType.QInt8,
                per_channel=True,
                reduce_range=True,
                op_types_to_quantize=["MatMul"],
            )
            exported.unlink()
        else:
            exported.rename(staging / "model.onnx")
        tokenizer.save_pretrained(str(staging))
        config: dict[str, object] = {
            "max_seq_length": max_length,
            "normalize": normalize,
            "quantized": quantize,
        }
        if quantize:
            config["recipe"] = QUANTIZATION_RECIPE
        (staging / DONE_MARK).write_text(json.dumps(config))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except NewsdeskError:
        raise
    except Exception as error:  # torch's exporter raises many types
        raise OnnxExportError(
            f"could not export {folder} to ONNX ({type(error).__name__}: {error}); "
            "set NEWSDESK_EMBEDDING_BACKEND=torch"
        ) from error
    finally:
        stack.close()
        shutil.rmtree(staging, ignore_errors=True)


def _last_hidden_state(model: Any) -> Any:
    """A torch Module around `model` (torch is imported only when exporting)."""
    import torch

    class LastHiddenState(torch.nn.Module):
        """Keyword arguments in, the last hidden state out: what the exporter can trace."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    return LastHiddenState()


class OnnxEncoder:
    """`encode` as sentence-transformers has it (mean pooling over the tokens, normalized),
    run by ONNX Runtime one text at a time on one single-thread session per core.

    One text a run is a must for int8: dynamic quantization scales activations by the whole
    batch, so a text's vector would depend on the texts batched with it (cosine 0.987 to
    itself alone). For fp32 too it is the fastest way: nothing is padded, and neither thread
    waits on the other within a run (88 against 61 chunks/s for one 2-thread session in
    batches of 32, and the answerer's 8 sentences in 25 against 31 ms; BENCHMARKS.md, "A new
    machine, one text a run for fp32 too, and reading only what is kept"). Every run is the
    same, so a text's vector is the same whichever worker takes it and whatever comes with
    it."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((folder / DONE_MARK).read_text())
        self.max_length = int(config["max_seq_length"])
        self.normalize = bool(config["normalize"])
        # The fast tokenizer that transformers' AutoTokenizer wraps, read from the export's
        # tokenizer.json by the `tokenizers` library alone: transformers would import torch.
        # The same ids as AutoTokenizer's `truncation=True, max_length=...`: special tokens
        # added, longest-first truncation on the right, no padding (one text a run).
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_length)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session: onnxruntime.InferenceSession = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.workers = _cores()
        # Its threads start on first use, so a one-core encoder never starts any.
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx")
        # One session serves every thread, but tokenizers' fast tokenizer isn't re-entrant.
        self._tokenize_lock = threading.Lock()

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 1,
        normalize_embeddings: bool = True,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        """The texts' vectors, in order. `batch_size` is accepted as sentence-transformers'
        is, and ignored: every text is a run of its own (see the class)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        # Longest first, every worker taking every n-th text, so that their shares are alike.
        order = np.argsort([-len(text) for text in texts], kind="stable")
        ordered = [texts[i] for i in order]
        n = self.workers
        if n > 1 and len(ordered) > 1:
            done = list(
                self._pool.map(
                    lambda share: [self._embed(text, normalize_embeddings) for text in share],
                    [ordered[k::n] for k in range(n)],
                )
            )
            pieces = [done[i % n][i // n] for i in range(len(ordered))]
        else:
            pieces = [self._embed(text, normalize_embeddings) for text in ordered]
        vectors = np.stack(pieces)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result

    def encode_together(self, texts: Sequence[str]) -> np.ndarray:
        """The normalized vectors of a few short texts (names) in one run, padded to the
        longest and pooled over each text's own tokens: one run of a few tokens each costs
        about what one text alone does (the reader's names; BENCHMARKS.md, "What the
        question calls the answer"). With fp32 a text's vector is its own alone to float
        noise; int8's dynamic quantization would make it depend on the batch, which ranking
        names can bear."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        n = min(self.workers, len(texts))
        if n > 1:  # a share for each worker, as `encode` does
            shares = list(self._pool.map(self._together, [texts[k::n] for k in range(n)]))
            return np.stack([shares[i % n][i // n] for i in range(len(texts))])
        return self._together(texts)

    def _together(self, texts: Sequence[str]) -> np.ndarray:
        with self._tokenize_lock:
            encoded = self.tokenizer.encode_batch(list(texts))
        longest = max(len(e.ids) for e in encoded)
        feeds = {
            name: np.array(
                [list(getattr(e, field)) + [0] * (longest - len(e.ids)) for e in encoded],
                dtype=np.int64,
            )
            for name, field in zip(INPUTS, ("ids", "attention_mask", "type_ids"), strict=True)
        }
        (hidden,) = self.session.run(["last_hidden_state"], feeds)
        mask = feeds[INPUTS[1]][:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        result: np.ndarray = pooled.astype(np.float32)
        return result

    def _embed(self, text: str, normalize: bool) -> np.ndarray:
        with self._tokenize_lock:
            encoded = self.tokenizer.encode(text)
        feeds = {
            name: np.array([ids], dtype=np.int64)
            for name, ids in zip(
                INPUTS, (encoded.ids, encoded.attention_mask, encoded.type_ids), strict=True
            )
        }
        (hidden,) = self.session.run(["last_hidden_state"], feeds)
        pooled = hidden[0].mean(axis=0)  # one text, no padding: every token counts
        if normalize or self.normalize:
            pooled /= max(float(np.linalg.norm(pooled)), 1e-12)
        result: np.ndarray = pooled.astype(np.float32)
        return result


def _cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
