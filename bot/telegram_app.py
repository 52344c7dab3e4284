"""The Telegram front end: thin handlers over AnswerService, wired in build_application."""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import admin
from bot.access import NOT_ALLOWED, RateLimiter, is_allowed, slow_down_message
from bot.answer_log import AnswerLog
from bot.answers import Answer
from bot.buttons import keyboard, on_button
from bot.followups import ChatMemory
from bot.render import render_html, render_plain_messages
from bot.service import AnswerService, QuestionError, build_indexer
from bot.settings import Settings
from index.sources import Indexer

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "What I know and how to ask"),
    BotCommand("help", "What I know and how to ask"),
    BotCommand("ask", "Ask a question (in groups: /ask your question)"),
    BotCommand("reset", "Forget earlier questions; the next one starts afresh"),
]
ADMIN_COMMANDS = [
    BotCommand("reindex", "Re-sync the sources and feeds"),
    BotCommand("prompt", "List, show, set, diff, history, rollback, test prompts"),
    BotCommand("stats", "Questions, refusals, feedback and latency, last day and week"),
]
APOLOGY = "Sorry, something went wrong while answering. Please try again in a moment."
TEXT_ONLY = "I can only answer questions sent as text."


class MissingTokenError(Exception):
    """Raised when the bot is started without TELEGRAM_BOT_TOKEN."""


def _service(context: ContextTypes.DEFAULT_TYPE) -> AnswerService:
    service: AnswerService = context.bot_data["service"]
    return service


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop updates from people and chats not on the allowlists, with one polite message."""
    settings: Settings = context.bot_data["settings"]
    user, chat = update.effective_user, update.effective_chat
    if is_allowed(settings, user.id if user else None, chat.id if chat else None):
        return
    message = update.effective_message
    if message is not None and chat is not None:
        addressed = chat.type == ChatType.PRIVATE or (message.text or "").startswith("/")
        if addressed or addressed_question(message, context.bot.username, context.bot.id):
            await message.reply_text(NOT_ALLOWED)
    elif update.callback_query is not None:
        await update.callback_query.answer(NOT_ALLOWED, show_alert=True)
    raise ApplicationHandlerStop


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what the bot knows and how to ask."""
    if update.effective_message:
        text = await asyncio.to_thread(_service(context).help_text)
        await update.effective_message.reply_text(text)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer `/ask QUESTION`, the way to ask in a group without mentioning the bot."""
    message = update.effective_message
    if message is None:
        return
    question = " ".join(context.args or [])
    if not question:
        await message.reply_text(
            "Send /ask followed by your question, for example: /ask who controls Qairawan?"
        )
        return
    await answer_message(message, question, context)


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer any text sent in a private chat; a message of nothing but links is an admin's
    request to index those pages."""
    message = update.effective_message
    if message is None or not message.text:
        return
    urls = admin.only_urls(message.text)
    if not urls:
        await answer_message(message, message.text, context)
    elif admin.is_admin(update, context.bot_data["settings"]):
        await admin.index_links(message, urls, context)
    else:
        await message.reply_text(admin.ADMINS_ONLY)


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, answer only messages that mention the bot or reply to it."""
    message = update.effective_message
    if message is None or not message.text:
        return
    question = addressed_question(message, context.bot.username, context.bot.id)
    if question is not None:
        await answer_message(message, question, context)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say politely that only text questions are answered."""
    if update.effective_message:
        await update.effective_message.reply_text(TEXT_ONLY)


def _memory(context: ContextTypes.DEFAULT_TYPE) -> ChatMemory:
    chat_data = context.chat_data if context.chat_data is not None else {}
    memory: ChatMemory = chat_data.setdefault("memory", ChatMemory())
    return memory


async def reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget the chat's earlier questions, so the next one is taken on its own."""
    _memory(context).clear()
    if update.effective_message:
        await update.effective_message.reply_text(
            "I've forgotten our conversation: your next question starts afresh."
        )


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


async def answer_message(
    message: Message, question: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """Typing action, then the cited answer as HTML; plain text if Telegram rejects the HTML."""
    in_group = message.chat.type != ChatType.PRIVATE
    reply_to = ReplyParameters(message_id=message.message_id) if in_group else None
    limiter: RateLimiter = context.bot_data["rate_limiter"]
    wait = limiter.wait_seconds(message.from_user.id if message.from_user else message.chat_id)
    if wait:
        await message.reply_text(
            slow_down_message(limiter.per_minute, wait), reply_parameters=reply_to
        )
        return
    await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    service = _service(context)
    memory = _memory(context)
    started = time.perf_counter()
    try:
        standalone = await asyncio.to_thread(service.standalone, question, memory)
        answer = await asyncio.to_thread(service.answer, standalone)
    except QuestionError as problem:
        await message.reply_text(str(problem), reply_parameters=reply_to)
        return
    answer_log: AnswerLog = context.bot_data["answer_log"]
    answer_id = await asyncio.to_thread(
        answer_log.record,
        answer,
        chat_id=message.chat_id,
        user_id=message.from_user.id if message.from_user else None,
        latency_ms=(time.perf_counter() - started) * 1000,
        prompt_version=service.prompt_version(),
    )
    memory.remember(standalone, answer.answer)
    if standalone != question:
        await message.reply_text(f"(Understood as: {standalone})", reply_parameters=reply_to)
    await _send_answer(message, answer, keyboard(answer_id, answer), reply_to)


async def _send_answer(
    message: Message,
    answer: Answer,
    markup: InlineKeyboardMarkup,
    reply_to: ReplyParameters | None,
) -> None:
    """The answer's messages, the buttons under the last one; plain text if the HTML fails."""
    messages = render_html(answer)
    for index, html in enumerate(messages):
        try:
            await message.reply_text(
                html,
                parse_mode=ParseMode.HTML,
                disable_web_page_preview=True,
                reply_parameters=reply_to if index == 0 else None,
                reply_markup=markup if index == len(messages) - 1 else None,
            )
        except BadRequest as error:
            if "can't parse entities" not in str(error).lower():
                raise
            log.warning("Telegram rejected the answer's HTML (%s); sending plain text", error)
            plain = render_plain_messages(answer)
            for number, text in enumerate(plain):
                await message.reply_text(
                    text,
                    reply_parameters=reply_to if index == number == 0 else None,
                    reply_markup=markup if number == len(plain) - 1 else None,
                )
            return


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the traceback and tell the user something went wrong."""
    log.error("Error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message:
        try:
            await update.effective_message.reply_text(APOLOGY)
        except Exception:  # the apology is best effort: the original error is already logged
            log.warning("Could not send the apology message", exc_info=True)


async def register_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Tell Telegram our commands so clients offer them in the menu; admins also see theirs."""
    await application.bot.set_my_commands(COMMANDS)
    settings: Settings = application.bot_data["settings"]
    for admin_id in settings.admin_ids:
        await application.bot.set_my_commands(
            COMMANDS + ADMIN_COMMANDS, scope=BotCommandScopeChat(admin_id)
        )


def build_application(
    settings: Settings, service: AnswerService, indexer: Indexer | None = None
) -> Application:  # type: ignore[type-arg]
    """The python-telegram-bot Application with every handler wired. The indexer shares the
    service's store, keyword index and model unless one is given."""
    if settings.telegram_bot_token is None:
        raise MissingTokenError("TELEGRAM_BOT_TOKEN is not set: put your bot's token in .env")
    builder = ApplicationBuilder().token(settings.telegram_bot_token.get_secret_value())
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    # Keeps outgoing messages within Telegram's flood limits, and retries a request Telegram
    # answered with 429 RetryAfter after the time it asked for.
    builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    application = builder.post_init(register_commands).build()
    application.bot_data["service"] = service
    application.bot_data["settings"] = settings
    application.bot_data["indexer"] = indexer or build_indexer(
        settings,
        store=service.store,
        keyword=service.retriever.keyword,
        embeddings=service.retriever.embeddings,
    )
    application.bot_data["index_lock"] = asyncio.Lock()
    application.bot_data["rate_limiter"] = RateLimiter(settings.rate_limit_per_minute)
    application.bot_data["answer_log"] = AnswerLog(settings.home / "answers.sqlite")

    application.add_handler(TypeHandler(Update, gate), group=-1)
    application.add_handler(CommandHandler(["start", "help"], start))
    application.add_handler(CommandHandler("ask", ask_command))
    application.add_handler(CommandHandler("reset", reset))
    application.add_handler(CommandHandler("reindex", admin.reindex))
    application.add_handler(CommandHandler("prompt", admin.prompt))
    application.add_handler(CommandHandler("stats", admin.stats))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.Document.ALL, admin.document)
    )
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, private_text)
    )
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, group_text)
    )
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL, not_text
        )
    )
    application.add_error_handler(on_error)
    if settings.feed_poll_minutes > 0 and application.job_queue is not None:
        interval = settings.feed_poll_minutes * 60
        application.job_queue.run_repeating(admin.poll_feeds, interval=interval, first=interval)
    return application
