"""Any LangChain chat model: made from `provider:model`, guarded as a chain step, and its
reply held to the passages it was given."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from bot.answering.answers import Answer, best_sentence, citation_for
from bot.answering.claims import MARKER, check_answer, check_short_answer, split_short_answer
from bot.answering.language import ENGLISH, Language
from bot.answering.llm_errors import LLMError, as_llm_error, ask_provider
from bot.answering.prompts import PromptLibrary
from index.errors import NewsdeskError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

NO_ANSWER = "NO_ANSWER"
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


class LLMConfigError(NewsdeskError):
    """NEWSDESK_LLM names a model that can't be set up; the message says what to change."""


# Providers whose LangChain chat model takes `timeout` (seconds per request); the others keep
# their own default.
LOCAL_SERVER_KEY = "no-key-needed"
TAKES_TIMEOUT = frozenset({"openai", "azure_openai", "anthropic", "groq", "mistralai", "xai"})


def make_chat_model(
    spec: str,
    api_key: str | None = None,
    base_url: str | None = None,
    timeout_seconds: float | None = None,
) -> BaseChatModel:
    """A chat model from `provider:model`, e.g. `openai:gpt-4o-mini` or `ollama:llama3.1`,
    with the API key, server and time limit given (else the provider's own defaults and
    variables). Providers are imported lazily, so only the one in use needs to be installed."""
    provider, _, model = spec.partition(":")
    if not provider or not model:
        raise LLMConfigError(
            f"NEWSDESK_LLM={spec!r} should be provider:model, for example "
            "openai:gpt-4o-mini, anthropic:claude-3-5-haiku-latest or ollama:llama3.1"
        )
    from langchain.chat_models import init_chat_model

    options: dict[str, Any] = {"temperature": 0}
    if not api_key and base_url and provider == "openai" and not os.environ.get("OPENAI_API_KEY"):
        # A local OpenAI-compatible server (Ollama, llama-server, vLLM) wants no key, but
        # the OpenAI client refuses to start without one.
        api_key = LOCAL_SERVER_KEY
    if api_key:
        options["api_key"] = api_key
    if base_url:
        options["base_url"] = base_url
    if timeout_seconds and provider in TAKES_TIMEOUT:
        options["timeout"] = timeout_seconds
    try:
        chat_model: BaseChatModel = init_chat_model(model, model_provider=provider, **options)
        return chat_model
    except ImportError as error:
        raise LLMConfigError(
            f"the {provider!r} provider is not installed ({error.name}): "
            f"pip install -e '.[{provider}]' or pip install langchain-{provider}"
        ) from error
    except ValueError as error:
        raise LLMConfigError(f"NEWSDESK_LLM={spec!r}: {error}") from error
    except Exception as error:  # e.g. the provider's client refusing to start without a key
        raise LLMConfigError(
            f"NEWSDESK_LLM={spec!r} could not be set up ({type(error).__name__}); "
            "check NEWSDESK_LLM and NEWSDESK_LLM_API_KEY"
        ) from None


def format_passages(documents: list[Document]) -> str:
    blocks = []
    for n, document in enumerate(documents, start=1):
        meta = document.metadata
        origin = ", ".join(str(meta[key]) for key in ("source", "published") if meta.get(key))
        heading = f"[{n}] {meta.get('title', '')}" + (f" ({origin})" if origin else "")
        blocks.append(f"{heading}\n{document.page_content}")
    return "\n\n".join(blocks)


def keep_valid_citations(text: str, passage_count: int) -> tuple[str, list[int]]:
    """Drop [n] markers that point at no given passage and renumber the rest 1, 2, ... in order
    of first use. Returns the cleaned text and the original passage numbers, in new order."""
    order: list[int] = []

    def renumber(match: re.Match[str]) -> str:
        numbers = [n.strip() for n in match.group(1).split(",")]
        valid = [int(n) for n in numbers if len(n) <= 6 and 1 <= int(n) <= passage_count]
        for n in valid:
            if n not in order:
                order.append(n)
        return "".join(f"[{order.index(n) + 1}]" for n in dict.fromkeys(valid))

    cleaned = _MARKER.sub(renumber, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned))
    return cleaned.strip(), order


EMPTY_REPLY = "the LLM sent an empty answer; please try again, or check NEWSDESK_LLM"


def guarded(chat_model: BaseChatModel) -> Runnable[Any, BaseMessage]:
    """The chat model as a step of a chain, any provider failure raised as one LLMError line
    (`llm_errors.py`). Its own run stays a child of the chain's, so its tokens stream."""

    def call(messages: Any, config: RunnableConfig) -> BaseMessage:
        return ask_provider(lambda: chat_model.invoke(messages, config))

    async def acall(messages: Any, config: RunnableConfig) -> BaseMessage:
        try:
            return await chat_model.ainvoke(messages, config)
        except NewsdeskError:
            raise
        except Exception as error:  # the provider's classes are not ours to list
            raise as_llm_error(error) from None

    return RunnableLambda(call, afunc=acall, name="chat_model")


def answer_from_reply(
    reply: str,
    question: str,
    documents: list[Document],
    prompts: PromptLibrary,
    language: Language = ENGLISH,
) -> Answer:
    """The model's reply held to the passages: NO_ANSWER is a refusal; each sentence must
    cite a passage it was given and state only names and numbers found there (`claims.py`,
    which checks an answer in another `language` than English by what it can't translate);
    a sentence that fails is dropped, and the answer flagged `unsupported`."""
    text = reply.strip()
    if not text:
        raise LLMError(EMPTY_REPLY)
    if text.startswith(NO_ANSWER):
        return Answer(question, prompts.render("refusal"), refused=True)
    short_line, text = split_short_answer(text)
    checks = check_answer(text, documents, language)
    kept = [check.sentence for check in checks if check.supported]
    failed = len(kept) < len(checks)
    short = ""
    if short_line:
        short_check = check_short_answer(short_line, documents)
        checks = [short_check, *checks]
        failed = failed or not short_check.supported
        if short_check.supported:
            short = " ".join(MARKER.sub(" ", short_line).split()).strip(" .")
    if not kept:
        refusal = prompts.render("refusal")
        return Answer(question, refusal, refused=True, unsupported=True, checks=checks)
    cleaned, used = keep_valid_citations(" ".join(kept), len(documents))
    citations = [
        citation_for(
            documents[original - 1],
            n,
            best_sentence(f"{question} {cleaned}", documents[original - 1].page_content),
        )
        for n, original in enumerate(used, start=1)
    ]
    return Answer(
        question,
        cleaned,
        refused=False,
        citations=citations,
        unsupported=failed,
        checks=checks,
        short_answer=short,
    )
