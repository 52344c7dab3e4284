"""`/prompt ...` in Telegram and `newsdesk prompts ...` on the CLI: one implementation, which
returns the reply text, so both front ends stay thin. It sits beside them, above the
answering package, since it renders answers for `/prompt test`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.conversation import Exchange
from bot.answering.prompts import PLACEHOLDERS, PromptError, PromptLibrary
from bot.answering.service import AnswerService
from bot.errors import NewsdeskError
from bot.render import render_text

USAGE = """\
/prompt list
/prompt show NAME
/prompt set NAME TEXT  (or reply to a message holding the text)
/prompt diff NAME      (previous version against live; replying to a text: live against it)
/prompt history NAME
/prompt rollback NAME [VERSION]
/prompt test NAME QUESTION  (reply to a message holding a candidate text to try it unpublished)
NAMES: """ + ", ".join(PLACEHOLDERS)


class PromptCommandError(NewsdeskError):
    """The command can't be carried out; the message says why and what to send instead."""


def _name(args: list[str]) -> str:
    if not args:
        raise PromptCommandError(f"name a prompt: {', '.join(PLACEHOLDERS)}")
    if args[0] not in PLACEHOLDERS:
        raise PromptCommandError(
            f"unknown prompt {args[0]!r}; the prompts are {', '.join(PLACEHOLDERS)}"
        )
    return args[0]


def prompt_command(
    service: AnswerService,
    action: str,
    args: list[str],
    *,
    author: str,
    text: str | None = None,
    history: Sequence[Exchange] = (),
) -> str:
    """Carry out one prompt command. `args` are the words after the action; `text` is the
    template text for set (or the candidate for diff and test); `history`: the conversation's
    last exchanges, for trying the condense prompt on a follow-up."""
    library = service.prompts
    try:
        if action == "list":
            return "\n".join(_summary(library, name) for name in PLACEHOLDERS)
        name = _name(args)
        if action == "show":
            return library.template(name)
        if action == "history":
            return _history(library, name)
        if action == "diff":
            library.notice_edits(name)
            return library.diff(name, text)
        if action == "set":
            if not text or not text.strip():
                raise PromptCommandError(
                    f"send the new text after /prompt set {name}, or reply to a message holding it"
                )
            version = library.publish(name, text, author)
            return f"Published {name} version {version.number}; it is live for the next question."
        if action == "rollback":
            number = _version_number(args[1:])
            version = library.rollback(name, author, number)
            return f"Rolled {name} back: version {version.number} ({version.note}) is live."
        if action == "test":
            question = " ".join(args[1:]).strip()
            if not question and name not in ("help", "refusal"):
                raise PromptCommandError(f"add a question: /prompt test {name} QUESTION")
            return _try(service, name, text, question, history)
    except PromptError as error:
        live = library.history(args[0])[-1:] if args and args[0] in PLACEHOLDERS else []
        stays = f" Version {live[0].number} stays live." if live else ""
        raise PromptCommandError(f"{error}.{stays}") from error
    raise PromptCommandError(f"unknown action {action!r}\n{USAGE}")


def _version_number(args: list[str]) -> int | None:
    if not args:
        return None
    if not args[0].isdigit():
        raise PromptCommandError(f"a version is a number, not {args[0]!r}")
    return int(args[0])


def _summary(library: PromptLibrary, name: str) -> str:
    library.notice_edits(name)
    versions = library.history(name)
    if not versions:
        return f"{name}: (no history kept)"
    last = versions[-1]
    return f"{name}: version {last.number}, {last.at} by {last.author}"


def _history(library: PromptLibrary, name: str) -> str:
    library.notice_edits(name)
    lines = [
        f"v{v.number}  {v.at}  {v.author}" + (f"  ({v.note})" if v.note else "")
        for v in library.history(name)
    ]
    return "\n".join(lines) or f"{name}: no history kept"


def _try(
    service: AnswerService,
    name: str,
    candidate: str | None,
    question: str,
    history: Sequence[Exchange],
) -> str:
    """What the bot would say with the candidate text (or the live one), nothing published."""
    library = service.prompts.with_override(name, candidate) if candidate else service.prompts
    trial = service.with_prompts(library)
    label = "candidate" if candidate else "live"
    if name == "help":
        return f"[{label} help]\n{trial.help_text()}"
    if name == "refusal":
        return f"[{label} refusal]\n{library.render('refusal')}"
    if service.chat_model is None:
        return f"The {name} prompt is used only with an LLM (NEWSDESK_LLM is not set)."
    answer = trial.answer(question, history=history)
    if name == "condense":
        return f"[{label} condense] {answer.standalone}"
    return f"[{label} answer]\n{render_text(answer)}"
