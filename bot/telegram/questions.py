"""The reader's side of the bot: who may ask, and questions in, cited answers out. Handlers
stay thin: the turn is the `Conversation`'s, the formatting `bot.render`'s."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime
from functools import partial

from telegram import Message, ReplyParameters, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import ApplicationHandlerStop

from bot.answering.conversation import Exchange, Turn
from bot.answering.time_window import DatesError, TimeWindow, explicit_window
from bot.render import Wording, render_html
from bot.telegram import uploads
from bot.telegram.access import ADMINS_ONLY, NOT_ALLOWED, is_admin, is_allowed, slow_down_message
from bot.telegram.answer_words import wording_for
from bot.telegram.buttons import answer_id_of, keyboard
from bot.telegram.context import Context, conversation_key, topic_of
from bot.telegram.help_text import help_in
from bot.telegram.sending import send_html_messages
from bot.telegram.streaming import streamed_turn, typing
from bot.translation import for_update, for_user, language_of

log = logging.getLogger(__name__)

# The bot's own lines, in English; each is the message id of its translations
# (bot/translation.py).
TEXT_ONLY = "I can only answer questions sent as text."
UNKNOWN_COMMAND = (
    "I don't know the command {command}. /help says what I can do; "
    "any other text is taken as a question."
)
FORGOTTEN = "I've forgotten our conversation: your next question starts afresh."


async def gate(update: Update, context: Context) -> None:
    """Stop updates from people and chats not on the allowlists, with one polite message a
    day; then silence. (A button press is still answered: the alert sends no message.)"""
    user, chat = update.effective_user, update.effective_chat
    if is_allowed(context.settings, user.id if user else None, chat.id if chat else None):
        return
    message = update.effective_message
    who = user.id if user else chat.id if chat else 0
    if message is not None and chat is not None:
        addressed = chat.type == ChatType.PRIVATE or (message.text or "").startswith("/")
        addressed = addressed or bool(
            addressed_question(message, context.bot.username, context.bot.id)
        )
        refusals = context.bot_data.refusals
        if addressed and await asyncio.to_thread(refusals.should_tell, who):
            await message.reply_text(for_update(update).gettext(NOT_ALLOWED))
    elif update.callback_query is not None:
        line = for_update(update).gettext(NOT_ALLOWED)
        await update.callback_query.answer(line, show_alert=True)
    raise ApplicationHandlerStop


async def start(update: Update, context: Context) -> None:
    """Explain what the bot knows and how to ask, in the client's language."""
    if update.effective_message:
        user, voice = update.effective_user, context.bot_data.transcriber is not None
        catalog, language = for_user(user), language_of(user)
        text = await asyncio.to_thread(help_in, context.service, catalog, language, voice=voice)
        await update.effective_message.reply_text(text)


async def ask_command(update: Update, context: Context) -> None:
    """Answer `/ask QUESTION`, the way to ask in a group without mentioning the bot."""
    message = update.effective_message
    if message is None:
        return
    said = for_update(update).gettext
    try:
        window, words = dates_given(context.args or [])
    except DatesError as error:
        await message.reply_text(f"{error}. {said(ASK_USAGE)}")
        return
    question = " ".join(words)
    if not question:
        await message.reply_text(said(ASK_USAGE))
        return
    await answer_message(message, question, context, window=window)


ASK_USAGE = (
    "Send /ask followed by your question, for example: /ask who controls Qairawan? "
    "To keep to articles published between two dates: /ask since:2024-03-01 until:2024-03-31 "
    "who controls Qairawan?"
)


def dates_given(words: list[str]) -> tuple[TimeWindow | None, list[str]]:
    """`since:YYYY-MM-DD` and `until:YYYY-MM-DD` leading the words of /ask, as a window, and
    the rest; DatesError for a date that isn't one, or dates the wrong way round."""
    given: dict[str, date] = {}
    rest = list(words)
    while rest and rest[0].lower().startswith(("since:", "until:")):
        name, _, written = rest.pop(0).partition(":")
        try:
            given[name.lower()] = date.fromisoformat(written)
        except ValueError:
            raise DatesError(
                f"{name.lower()}: takes a date as YYYY-MM-DD, not {written[:20]!r}"
            ) from None
    return explicit_window(given.get("since"), given.get("until")), rest


async def private_text(update: Update, context: Context) -> None:
    """Answer any text sent in a private chat; a message of nothing but links is an admin's
    request to index those pages."""
    message = update.effective_message
    if message is None or not message.text:
        return
    urls = uploads.only_urls(message.text)
    if not urls:
        await answer_message(message, message.text, context)
    elif is_admin(update, context.settings):
        await uploads.index_links(update, message, urls, context)
    else:
        await message.reply_text(for_update(update).gettext(ADMINS_ONLY))


async def group_text(update: Update, context: Context) -> None:
    """In groups, answer only messages that mention the bot or reply to it."""
    message = update.effective_message
    if message is None or not message.text:
        return
    question = addressed_question(message, context.bot.username, context.bot.id)
    if question is not None:
        await answer_message(message, question, context)


async def not_text(update: Update, context: Context) -> None:
    """Say politely that only text questions are answered."""
    if update.effective_message:
        await update.effective_message.reply_text(for_update(update).gettext(TEXT_ONLY))


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot doesn't have gets a line naming /help: in a group only when it is
    addressed to this bot (`/cmd@thisbot`), since a bare one may be another bot's."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command, _, addressee = message.text.split(maxsplit=1)[0].partition("@")
    if message.chat.type != ChatType.PRIVATE and addressee.lower() != context.bot.username.lower():
        return
    line = for_update(update).gettext(UNKNOWN_COMMAND)
    await message.reply_text(line.format(command=command[:64]))


async def reset(update: Update, context: Context) -> None:
    """Forget the chat's earlier questions, so the next one is taken on its own."""
    if message := update.effective_message:
        await asyncio.to_thread(context.conversation.forget, conversation_key(message))
        await message.reply_text(for_update(update).gettext(FORGOTTEN))


def addressed_question(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The question in a group message addressed to the bot (mention removed), else None."""
    text = message.text or ""
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot_id:
        return text
    mention = f"@{bot_username}".lower()
    for entity in message.entities:
        is_mention = entity.type == MessageEntityType.MENTION
        if is_mention and message.parse_entity(entity).lower() == mention:
            return (text[: entity.offset] + text[entity.offset + entity.length :]).strip()
    return None


async def within_rate_limit(message: Message, context: Context) -> bool:
    """Whether the asker may ask now (the question is then counted); the first question over
    the limit in a minute is told when to try again."""
    limiter = context.bot_data.rate_limiter
    asker = message.from_user.id if message.from_user else message.chat_id
    wait = await asyncio.to_thread(limiter.wait_seconds, asker)
    if wait and await asyncio.to_thread(limiter.first_refusal, asker):
        line = slow_down_message(limiter.per_minute, wait, for_user(message.from_user))
        in_group = message.chat.type != ChatType.PRIVATE
        reply_to = ReplyParameters(message_id=message.message_id) if in_group else None
        await message.reply_text(line, reply_parameters=reply_to)
    return not wait


async def answer_message(
    message: Message,
    question: str,
    context: Context,
    *,
    window: TimeWindow | None = None,
    counted: bool = False,
) -> None:
    """Typing action until the cited answer is sent as HTML (plain text if Telegram rejects
    the HTML); in a private chat with an LLM, the reply streams as drafts meanwhile.
    `counted`: the question was already counted against the rate limit (a voice message,
    before it was transcribed)."""
    in_group = message.chat.type != ChatType.PRIVATE
    reply_to = ReplyParameters(message_id=message.message_id) if in_group else None
    if not counted and not await within_rate_limit(message, context):
        return
    conversation, key = context.conversation, conversation_key(message)
    user = message.from_user.id if message.from_user else None
    async with typing(message.get_bot(), message.chat_id, key.topic):
        follows = await replied_exchange(message, context)
        # A QuestionError (empty, too long) reaches on_error, which replies with its message.
        # Recorded and remembered before it is sent: a process killed after sending loses
        # neither.
        # The question is asked as of the day it was sent, not the day it is answered: "now"
        # in a message sent in March 2024 means March 2024 (a backlog, a replayed update).
        as_of = asked_on(message)
        if in_group or context.service.chat_model is None:
            ask = partial(
                conversation.ask,
                key,
                question,
                asker=user,
                follows=follows,
                window=window,
                as_of=as_of,
            )
            turn = await asyncio.to_thread(ask)
        else:
            turn = await streamed_turn(
                message.get_bot(),
                conversation,
                key,
                question,
                user,
                follows=follows,
                window=window,
                as_of=as_of,
            )
        words = wording_for(message.from_user)
        preface = turn.preface_in(words.line)
        if preface:
            await message.reply_text(preface, reply_parameters=reply_to)
        await _send_answer(message, turn, reply_to, words)


# Telegram's Bot API began in June 2015: a message dated before it carries no real date.
FIRST_MESSAGE_DAY = date(2015, 6, 24)


def asked_on(message: Message) -> date | None:
    """The day (UTC) the message was sent, the time its question is asked; None (today)
    when it carries no believable date: none, before the Bot API, or in the future (a
    clock set wrong), which would keep tomorrow's reports from no one."""
    sent = message.date
    if sent is None:
        return None
    day = (sent.astimezone(UTC) if sent.tzinfo else sent).date()
    if day < FIRST_MESSAGE_DAY or day > datetime.now(UTC).date():
        return None
    return day


async def _send_answer(
    message: Message, turn: Turn, reply_to: ReplyParameters | None, words: Wording
) -> None:
    """The answer's messages, the bot's own words in them in the reader's language, the
    buttons under the last one; a message whose HTML Telegram refuses goes again as plain
    text."""
    messages = render_html(turn.answer, words=words)
    markup = keyboard(turn.answer_id, turn.answer) if turn.answer_id is not None else None
    await send_html_messages(
        message.get_bot(),
        message.chat_id,
        messages,
        reply_to=reply_to,
        markup=markup,
        topic=topic_of(message),
    )


async def replied_exchange(message: Message, context: Context) -> list[Exchange] | None:
    """When the message replies to one of the bot's answers given in this chat, that
    answer's question and answer: the follow-up continues it, whoever replies. None when it
    replies to nothing of the kind (then the asker's own memory counts)."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    answer_id = answer_id_of(replied.reply_markup)
    if answer_id is None:
        return None
    recorded = await asyncio.to_thread(context.state.answers.recorded, answer_id)
    if recorded is None or recorded.chat_id != message.chat_id:
        return None
    return [(recorded.answer.standalone, recorded.answer.as_shown)]
