"""`newsdesk models export`: the ONNX exports of the embedding model, made once at install
(./start, the image's build stage), so that the runtime runs them without torch; and the
language detector's model, unpacked, so that no question unpacks it."""

from __future__ import annotations

from bot.answering.language import LanguageDetector
from bot.cli.errors import CommandError
from bot.settings import Settings
from index.embeddings import can_export, onnx_export


def models_command(settings: Settings) -> int:
    """Both ONNX exports of NEWSDESK_EMBEDDING_MODEL: int8 for a new index's chunks, fp32 for
    the answerer's sentences and for stores of torch vectors; then the language detector's
    model, kept unpacked beside them (0.45 s to unpack at a process's first question)."""
    if not can_export(settings.embedding_model):
        raise CommandError(
            f"{settings.embedding_model!r} is no local model folder: only the torch backend "
            "runs it, and there is nothing to export"
        )
    for quantize in (True, False):
        folder = onnx_export(settings.embedding_model, quantize, settings.models_dir)
        print(f"{'int8' if quantize else 'fp32'}: {folder}")
    try:
        language = LanguageDetector(settings.models_dir).kept_copy()
    except OSError as error:
        raise CommandError(f"the language detector's model: {error}") from None
    print(f"language: {language}")
    return 0
