"""Voice questions: a voice message (or an audio file, or a round video note) is downloaded
from Telegram, transcribed by the OpenAI-compatible server the LLM answers with
(`bot.answering.transcription`), and answered as the text it holds, after a line saying what
was heard. Where the recording can't be taken (no such server, too large, too long, a
failure), the reader is told why in one line of their client's language; nothing the server
said is shown. In a group, a recording is a question when it replies to the bot or its
caption mentions the bot, as text is; in a forum topic it is answered in that topic."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import Audio, Message, ReplyParameters, Update, VideoNote, Voice
from telegram.constants import ChatType, MessageEntityType
from telegram.error import TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.answering.transcription import Kind, Recording, Transcriber, TranscriptionError
from bot.telegram.context import Context, topic_of
from bot.telegram.questions import answer_message, within_rate_limit
from bot.telegram.streaming import typing
from bot.translation import for_update

log = logging.getLogger(__name__)

# The bot's own lines, in English; each is the message id of its translations.
VOICE_OFF = (
    "I can take voice messages only when this bot has an OpenAI-compatible LLM server that "
    "transcribes speech (NEWSDESK_LLM=openai:MODEL). Please send your question as text."
)
HEARD = "Heard: {text}"
TOO_LARGE = (
    "That recording is {size} MB, more than the {limit} MB I take. Please send a shorter one, "
    "or your question as text."
)
TOO_LONG = (
    "That recording is {seconds} seconds long, more than the {limit} seconds I take. Please "
    "send a shorter one, or your question as text."
)
NOT_DOWNLOADED = "I couldn't download that recording from Telegram. Please send it again."
FAILED: dict[Kind, str] = {
    "not_offered": (
        "My LLM server doesn't transcribe speech, so I can't take voice messages. Please send "
        "your question as text."
    ),
    "key_refused": (
        "My LLM server refused to transcribe that recording (the bot's operator should check "
        "NEWSDESK_LLM_API_KEY). Please send your question as text."
    ),
    "unreadable": (
        "My LLM server couldn't read that recording. Please record it again, or send your "
        "question as text."
    ),
    "empty": (
        "I couldn't make out any words in that recording. Please record it again, or send your "
        "question as text."
    ),
    "busy": "My LLM server is busy just now. Please try again in a minute, or send your "
    "question as text.",
    "failed": "My LLM server failed to transcribe that recording. Please try again in a "
    "moment, or send your question as text.",
    "timeout": "My LLM server didn't transcribe that recording in time. Please try again in a "
    "moment, or send your question as text.",
    "unreachable": "I couldn't reach my LLM server to transcribe that recording. Please try "
    "again in a moment, or send your question as text.",
}
# What is shown of a transcription in the "Heard:" line: a message holds 4096 characters.
SHOWN_CHARS = 1000
MB = 1024 * 1024


@dataclass(frozen=True)
class Sent:
    """A recording as Telegram describes it, before it is downloaded."""

    media: Voice | Audio | VideoNote
    file_name: str
    mime_type: str

    @property
    def size(self) -> int:
        return self.media.file_size or 0

    @property
    def seconds(self) -> int:
        with warnings.catch_warnings():  # PTB 22 warns that it will be a timedelta only
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            duration = self.media.duration
        if isinstance(duration, timedelta):
            return int(duration.total_seconds())
        return int(duration or 0)


def sent_recording(message: Message) -> Sent | None:
    """The message's voice message, audio file or video note, named by its format."""
    if message.voice is not None:
        return Sent(message.voice, "voice.ogg", message.voice.mime_type or "audio/ogg")
    if message.video_note is not None:
        return Sent(message.video_note, "video_note.mp4", "video/mp4")
    if message.audio is not None:
        mime = message.audio.mime_type or "audio/mpeg"
        return Sent(message.audio, audio_file_name(message.audio.file_name, mime), mime)
    return None


SUFFIXES = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/ogg": ".ogg", "audio/wav": ".wav",
            "audio/x-wav": ".wav", "audio/flac": ".flac", "audio/mp4": ".m4a",
            "audio/x-m4a": ".m4a", "audio/m4a": ".m4a", "audio/webm": ".webm"}  # fmt: skip


def audio_file_name(name: str | None, mime: str) -> str:
    """A name whose suffix tells the server the format (it reads the format from it): the
    file's own suffix, else one for its MIME type; no folders, nothing else of the name."""
    suffix = "." + (name or "").rsplit(".", 1)[-1].lower() if name and "." in name else ""
    if not suffix[1:].isalnum() or len(suffix) > 6:
        suffix = SUFFIXES.get(mime.lower(), ".mp3")
    return "audio" + suffix


def addressed(message: Message, bot_username: str, bot_id: int) -> bool:
    """In a group, whether a recording is for the bot: a reply to it, or a caption that
    mentions it."""
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot_id:
        return True
    mention = f"@{bot_username}".lower()
    return any(
        entity.type == MessageEntityType.MENTION
        and message.parse_caption_entity(entity).lower() == mention
        for entity in message.caption_entities
    )


def heard_line(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1].rstrip() + "…"


async def voice_message(update: Update, context: Context) -> None:
    """Transcribe a recording and answer the question in it, saying what was heard."""
    message = update.effective_message
    sent = sent_recording(message) if message is not None else None
    if message is None or sent is None:
        return
    in_group = message.chat.type != ChatType.PRIVATE
    if in_group and not addressed(message, context.bot.username, context.bot.id):
        return
    said = for_update(update).gettext
    reply_to = ReplyParameters(message_id=message.message_id) if in_group else None

    async def tell(line: str) -> None:
        await message.reply_text(line, reply_parameters=reply_to)

    transcriber = context.bot_data.transcriber
    refusal = refusal_before_download(sent, transcriber, context)
    if refusal is not None:
        await tell(said(refusal[0]).format(**refusal[1]))
        return
    assert transcriber is not None
    if not await within_rate_limit(message, context):
        return
    async with typing(message.get_bot(), message.chat_id, topic_of(message)):
        try:
            text = await transcribed(sent, transcriber)
        except TelegramError as error:
            log.warning("could not download a recording: %s", error)
            await tell(said(NOT_DOWNLOADED))
            return
        except TranscriptionError as error:
            log.info("a recording was not transcribed: %s", error)
            await tell(line_for(error, context.settings.voice_max_mb, said))
            return
    await tell(said(HEARD).format(text=heard_line(text)))
    await answer_message(message, text, context, counted=True)


def refusal_before_download(
    sent: Sent, transcriber: Transcriber | None, context: Context
) -> tuple[str, dict[str, object]] | None:
    """(the line, its values) when the recording is not to be taken at all, else None."""
    if transcriber is None:
        return VOICE_OFF, {}
    if transcriber.known_not_offered():
        return FAILED["not_offered"], {}
    if sent.size > transcriber.max_bytes:
        limit = context.settings.voice_max_mb
        return TOO_LARGE, {"size": megabytes(sent.size), "limit": f"{limit:g}"}
    if sent.seconds > context.settings.voice_max_seconds:
        return TOO_LONG, {"seconds": sent.seconds, "limit": context.settings.voice_max_seconds}
    return None


def megabytes(size: int) -> str:
    return f"{size / MB:.1f}"


def line_for(error: TranscriptionError, limit_mb: float, said: Callable[[str], str]) -> str:
    """The reader's line for a failure, in their language (`said`: the catalog's gettext)."""
    if error.kind == "too_large":  # larger than the size Telegram said it was
        return said(TOO_LARGE).format(size=f"> {limit_mb:g}", limit=f"{limit_mb:g}")
    return said(FAILED[error.kind])


async def transcribed(sent: Sent, transcriber: Transcriber) -> str:
    """Downloaded from Telegram, then transcribed in a thread (the request waits on the
    server); TelegramError or TranscriptionError."""
    telegram_file = await sent.media.get_file()
    if (telegram_file.file_size or 0) > transcriber.max_bytes:
        raise TranscriptionError("too_large")
    data = bytes(await telegram_file.download_as_bytearray())
    recording = Recording(data, sent.file_name, sent.mime_type)
    return await asyncio.to_thread(transcriber.transcribe, recording)
