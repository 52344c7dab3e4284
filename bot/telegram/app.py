"""The Telegram front end, wired in one place: `build_application` adds every handler, the
one error handler and the scheduled jobs to a python-telegram-bot Application over the
services `bot.wiring.bot` builds."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, cast

from telegram import BotCommand, BotCommandScopeChat, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.errors import NewsdeskError
from bot.redaction import without_locations
from bot.state.database import DatabaseError
from bot.telegram import (
    admin,
    articles,
    digests,
    follows,
    jobs,
    questions,
    sources,
    uploads,
    voice,
)
from bot.telegram.buttons import on_button
from bot.telegram.concurrency import ChatOrderedProcessor, use_answer_threads
from bot.telegram.context import Context, NewsdeskApplication, context_types
from bot.telegram.journal import JournaledApplication, UpdateJournal, replay_unfinished
from bot.telegram.monitoring import start_monitoring, stop_monitoring
from bot.telegram.network import RetryingRateLimiter, outgoing_request, polling_request
from bot.telegram.shutdown import on_stop_signals
from bot.translation import SHIPPED, for_update, translations
from bot.wiring.bot import BotServices

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "What I know and how to ask"),
    BotCommand("help", "What I know and how to ask"),
    BotCommand("ask", "Ask a question (in groups: /ask your question)"),
    BotCommand("reset", "Forget earlier questions; the next one starts afresh"),
    BotCommand("follow", "Follow a story: new reports on it come here"),
    BotCommand("following", "The stories you follow here, numbered"),
    BotCommand("unfollow", "Stop following a story: /unfollow N"),
    BotCommand("digest", "A daily digest of the stories you follow: /digest HH:MM or off"),
    BotCommand("timezone", "Your time zone for the digest: /timezone Europe/Berlin"),
    BotCommand("sources", "The collections this chat answers from; admins choose them"),
]
ADMIN_COMMANDS = [
    BotCommand("reindex", "Re-sync the sources and feeds"),
    BotCommand("prompt", "List, show, set, diff, history, rollback, test prompts"),
    BotCommand("stats", "Questions, refusals, feedback and latency, last day and week"),
    BotCommand("articles", "The indexed articles: /articles [page] [title words]"),
]
# A refresh reads the store's generation only; every this many, the chunk ids as well.
THOROUGH_EVERY = 10
APOLOGY = "Sorry, something went wrong while answering. Please try again in a moment."
DATABASE_BUSY = "My records are busy just now; I'll come back to your message as soon as I can."
DATABASE_DOWN = "Sorry, I can't reach my records just now. Please try again in a few minutes."
ALERT_CHARS = 200  # Telegram's limit on a callback answer's text


class MissingTokenError(NewsdeskError):
    """Raised when the bot is started without TELEGRAM_BOT_TOKEN."""


async def on_error(update: object, context: Context) -> None:
    """What the user is told of an error (a button's presser in an alert, not a message):
    a NewsdeskError's message, without any path or URL (the log has them); for a busy
    database, that their message will be seen to (it is tried again later); for anything
    else, an apology, with the traceback logged."""
    reply = _reply_to_error(update, context)
    if reply is None or not isinstance(update, Update):  # not an update: a scheduled job's
        return
    reply = for_update(update).gettext(reply)  # a fixed line, in the client's language
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(reply[:ALERT_CHARS], show_alert=True)
        elif (message := update.effective_message) and (chat := update.effective_chat):
            in_group = chat.type != ChatType.PRIVATE
            reply_to = ReplyParameters(message_id=message.message_id) if in_group else None
            await message.reply_text(reply, reply_parameters=reply_to)
    except Exception:  # the reply is best effort: the original error is already handled
        log.warning("Could not send the error message", exc_info=True)


def _reply_to_error(update: object, context: Context) -> str | None:
    """The line for the user (None: nothing to say), the error logged."""
    error = context.error
    if isinstance(error, DatabaseError):
        log.warning("%s", error)
        retry, application = 0, context.application
        question = isinstance(update, Update) and update.message is not None  # not a press
        if error.transient and question and isinstance(application, JournaledApplication):
            retry = application.retry_later(cast(Update, update))
        return DATABASE_DOWN if not retry else DATABASE_BUSY if retry == 1 else None
    if isinstance(error, NewsdeskError):
        log.info("told the user: %s", error)
        return without_locations(context.redact(str(error)))
    log.error("Error while handling an update", exc_info=error)
    return APOLOGY


async def start_up(application: NewsdeskApplication) -> None:
    """Before polling (or serving the webhook): the pool of threads answers run in, the
    command menus, and the updates a killed run left unanswered."""
    use_answer_threads(application.bot_data.settings.answer_threads)
    await register_commands(application)
    if application.bot_data.settings.runs_indexing_jobs:
        await jobs.take_back_abandoned_jobs(application)
    if isinstance(application, JournaledApplication):
        await replay_unfinished(application)


async def register_commands(application: NewsdeskApplication) -> None:
    """Tell Telegram our commands so clients offer them in the menu, in English and in each
    language with a catalog (a client in that language shows those); admins also see theirs."""
    bot, admins = application.bot, application.bot_data.settings.admin_ids
    for language in (None, *SHIPPED):
        menu = in_language(COMMANDS, language)
        await bot.set_my_commands(menu, language_code=language)
        for admin_id in admins:
            scope = BotCommandScopeChat(admin_id)
            every = menu + in_language(ADMIN_COMMANDS, language)
            await bot.set_my_commands(every, scope=scope, language_code=language)


def in_language(commands: list[BotCommand], language: str | None) -> list[BotCommand]:
    """The commands with their descriptions in `language` (None: English)."""
    catalog = translations(language or "en")
    return [BotCommand(c.command, catalog.gettext(c.description)) for c in commands]


@dataclass
class Refreshes:
    """Counts the keyword refreshes: every THOROUGH_EVERY-th compares the chunk ids too."""

    done: int = 0

    def next_is_thorough(self) -> bool:
        self.done += 1
        return self.done % THOROUGH_EVERY == 0


async def refresh_keyword_index(context: Context) -> None:
    """Scheduled: bring the keyword index in step with the store if another process changed
    it, in a thread beside the questions (never on their path), and never while this bot
    indexes; and record edits made to the shipped prompt files since the last look."""
    data = context.bot_data
    if data.index_lock.locked():  # the run syncs it when it ends
        return
    if context.services.keyword_catch_up.running:  # the start-up's catch-up: it ends in step
        return
    refreshes = (
        context.job.data if context.job and isinstance(context.job.data, Refreshes) else None
    )
    thorough = refreshes.next_is_thorough() if refreshes else False
    async with data.index_lock:
        answering = context.services.answering
        # A new client first, if another process wrote: the keyword index then finds nothing
        # whose vector this process can't read (`ArticleStore.refresh`).
        await asyncio.to_thread(answering.store.refresh)
        sync = answering.keyword.sync
        if await asyncio.to_thread(sync.catch_up, answering.store, thorough=thorough):
            log.info("keyword index rebuilt: the store was changed by another process")
    await asyncio.to_thread(context.service.prompts.notice_all_edits)


def run_polling(application: NewsdeskApplication, **options: Any) -> None:
    """Poll Telegram until stopped. python-telegram-bot's own loop waits up to 30 s between
    failed getUpdates; PollingRequest retries them itself at most LONGEST_POLL_WAIT_SECONDS
    apart, so polling resumes within seconds of Telegram recovering. An outage at start-up is
    waited out (bootstrap_retries=-1) rather than ending the bot. Unless `stop_signals` are
    given, SIGINT and SIGTERM stop it within NEWSDESK_SHUTDOWN_SECONDS (`shutdown`).
    /metrics and /healthz (NEWSDESK_METRICS_PORT) are served from before the first call to
    Telegram until the Application has shut down (`build_application`'s post_shutdown)."""
    if "stop_signals" not in options:
        loop = asyncio.new_event_loop()  # the loop run_polling takes as the current one
        asyncio.set_event_loop(loop)
        on_stop_signals(loop, application, application.stop_running)
        options["stop_signals"] = None
    asyncio.get_event_loop().run_until_complete(start_monitoring(application))
    application.run_polling(bootstrap_retries=-1, **options)


def build_application(services: BotServices, *, webhook: bool = False) -> NewsdeskApplication:
    """The python-telegram-bot Application with every handler wired, over `services`; with
    `webhook`, without the polling Updater (`bot.telegram.webhook` feeds its update queue)."""
    settings = services.settings
    if settings.telegram_bot_token is None:
        raise MissingTokenError("TELEGRAM_BOT_TOKEN is not set: put your bot's token in .env")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .context_types(context_types())
    )
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    timeout = settings.telegram_timeout_seconds
    builder = builder.request(outgoing_request(timeout))
    journal = UpdateJournal(settings.home / "updates.sqlite")
    retried = services.telemetry.telegram_retry
    if webhook:
        builder = builder.updater(None)
    else:
        builder = builder.get_updates_request(polling_request(timeout, journal.record, retried))
    if settings.concurrent_updates > 1:
        builder = builder.concurrent_updates(ChatOrderedProcessor(settings.concurrent_updates))
    builder = builder.application_class(JournaledApplication, {"journal": journal})
    # Keeps outgoing messages within Telegram's flood limits, retries a request Telegram
    # answered with 429 RetryAfter after the time it asked for, and retries 5xx, timeouts and
    # lost connections with backoff.
    limiter = RetryingRateLimiter(retried, max_retries=3)
    builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    application = builder.post_init(start_up).post_shutdown(stop_monitoring).build()
    application.bot_data.attach(services)

    application.add_handler(TypeHandler(Update, questions.gate), group=-1)
    application.add_handler(CommandHandler(["start", "help"], questions.start))
    application.add_handler(CommandHandler("ask", questions.ask_command))
    application.add_handler(CommandHandler("reset", questions.reset))
    application.add_handler(CommandHandler("follow", follows.follow))
    application.add_handler(CommandHandler("following", follows.following))
    application.add_handler(CommandHandler("unfollow", follows.unfollow))
    application.add_handler(CommandHandler("digest", digests.digest))
    application.add_handler(CommandHandler("timezone", digests.timezone))
    application.add_handler(CommandHandler("sources", sources.sources))
    application.add_handler(CommandHandler("reindex", admin.reindex))
    application.add_handler(CommandHandler("prompt", admin.prompt))
    application.add_handler(CommandHandler("stats", admin.stats))
    application.add_handler(CommandHandler("articles", articles.articles))
    pages = f"^{articles.BUTTON_PREFIX}"
    application.add_handler(CallbackQueryHandler(articles.page_button, pattern=pages))
    application.add_handler(CallbackQueryHandler(on_button))
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    application.add_handler(MessageHandler(private & filters.Document.ALL, uploads.document))
    text = filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(private & text, questions.private_text))
    application.add_handler(MessageHandler(groups & text, questions.group_text))
    recordings = filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE
    application.add_handler(MessageHandler(recordings, voice.voice_message))
    not_text = private & ~filters.TEXT & ~filters.StatusUpdate.ALL
    application.add_handler(MessageHandler(not_text, questions.not_text))
    # Last: a command none of the handlers above took.
    application.add_handler(MessageHandler(filters.COMMAND, questions.unknown_command))
    application.add_error_handler(on_error)
    if application.job_queue is not None:
        if settings.feed_poll_minutes > 0 and settings.runs_indexing_jobs:
            interval = settings.feed_poll_minutes * 60
            application.job_queue.run_repeating(admin.poll_feeds, interval=interval, first=interval)
        if settings.keyword_refresh_seconds > 0:
            every = settings.keyword_refresh_seconds
            application.job_queue.run_repeating(
                refresh_keyword_index, interval=every, first=every, data=Refreshes()
            )
    jobs.schedule(application)
    digests.schedule(application)
    return application
