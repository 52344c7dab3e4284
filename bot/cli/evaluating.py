"""`newsdesk eval`: a bench's figures for each backend asked for, and with --llm an LLM beside
the extractive default."""

from __future__ import annotations

import argparse
import json

from bot.cli.errors import CommandError
from bot.evaluation.run import format_report, run_eval
from bot.settings import Settings
from index.embeddings import DEFAULT_BACKEND, make_embeddings


def eval_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise CommandError("--limit must be at least 1")
    if args.llm_base_url and not args.llm:
        raise CommandError("--llm-base-url needs --llm PROVIDER:MODEL")
    if args.answers is not None and not args.answers.parent.is_dir():
        # Said before an hour of asking, not after.
        raise CommandError(f"--answers {args.answers}: no folder {args.answers.parent} to write to")
    llm = None
    if args.llm:
        from bot.answering.llm import make_chat_model

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        base_url = args.llm_base_url or settings.llm_base_url
        model = make_chat_model(args.llm, key, base_url, settings.llm_timeout_seconds)
        llm = (args.llm, model)
    backends = args.backend or [settings.embedding_backend]
    backends = [DEFAULT_BACKEND if backend == "auto" else backend for backend in backends]
    reports = []
    for bench in args.bench:
        for number, backend in enumerate(dict.fromkeys(backends)):
            embeddings = make_embeddings(
                settings.embedding_model, backend=backend, cache_dir=settings.models_dir
            )
            store_dir, answers = args.store, args.answers
            if len(args.bench) > 1 or len(backends) > 1:  # one store and answers file per pair
                if store_dir is not None:
                    store_dir = store_dir / f"{bench.name}-{backend}"
                if answers is not None:
                    answers = answers.with_name(f"{answers.name}-{bench.name}-{backend}")
            report = run_eval(
                bench,
                settings,
                embeddings,
                limit=args.limit,
                store_dir=store_dir,
                baseline=args.baseline and number == 0,  # the textbook's figures, once a bench
                llm=llm,
                answers=answers,
            )
            reports.append(report)
            if not args.json:
                print(format_report(report) + "\n", flush=True)
    if args.json:
        shown = [r.to_json() for r in reports]
        print(json.dumps(shown[0] if len(shown) == 1 else shown, indent=2))
    return 0
