"""Voice questions (issue 29): a voice message, an audio file or a video note is downloaded
through the fake Bot API's getFile, transcribed by the fake OpenAI-compatible server's
/v1/audio/transcriptions (multipart, recorded), and answered as text after "Heard: ...";
without an LLM server, too large or too long, or when the server fails, the reader gets one
clear line, never the API key. The real Application, the real langchain-openai client for
the answer, the real Chroma store of the seed article."""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answering.transcription import Recording, Transcriber, TranscriptionError
from bot.logs import configure_logging
from bot.redaction import Redactor
from bot.telegram.voice import (
    FAILED,
    HEARD,
    TOO_LARGE,
    TOO_LONG,
    VOICE_OFF,
    audio_file_name,
    heard_line,
)
from bot.translation import translations
from bot.wiring.bot import BotServices, build_bot
from bot.wiring.transcription import build_transcriber
from index.embeddings import SentenceTransformerEmbeddings
from index.store import ArticleStore
from tests.conftest import StartBot, make_settings
from tests.support.bot_runner import TOKEN
from tests.support.fake_llm_provider import FakeLLMProvider
from tests.support.fake_telegram import BOT_USER, FakeBotAPI
from tests.test_languages_llm import fake_model, texts
from tests.test_llm_wire import KEY, llm_settings

OGG = b"OggS\x00\x02" + bytes(range(256)) * 4  # an Ogg page's magic, then some bytes
MP3 = b"ID3\x04\x00" + bytes(200)
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(200)


@pytest.fixture
def provider() -> Iterator[FakeLLMProvider]:
    server = FakeLLMProvider().start()
    server.reply_for = fake_model
    yield server
    server.stop()


@pytest.fixture
def services(
    provider: FakeLLMProvider,
    seed_store: ArticleStore,
    embeddings: SentenceTransformerEmbeddings,
    tmp_path: Path,
) -> BotServices:
    return build_bot(
        make_settings(tmp_path, **llm_settings(provider)), store=seed_store, embeddings=embeddings
    )


@pytest.fixture
def voice_bot(start_bot: StartBot, services: BotServices, provider: FakeLLMProvider) -> FakeBotAPI:
    return start_bot(services, **llm_settings(provider))


def said_in(fake: FakeBotAPI, chat: int, count: int, timeout: float = 90) -> list[str]:
    fake.wait_for(lambda: len(fake.delivered(chat)) >= count, timeout=timeout)
    return fake.delivered(chat)


def every_text_sent(fake: FakeBotAPI) -> str:
    return "\n".join(str(params.get("text", "")) for _, params in fake.calls)


# --- on the wire ------------------------------------------------------------------------------


def test_a_voice_question_is_transcribed_and_answered_as_text(
    voice_bot: FakeBotAPI, provider: FakeLLMProvider
) -> None:
    voice_bot.push_voice(OGG, chat_id=901, user_id=901)
    heard, answer = said_in(voice_bot, 901, 2)
    assert heard == "Heard: Who controls Qairawan?"
    assert "Al-Hashd al-Shaabi troops freed Qairawan" in answer
    (upload,) = provider.transcriptions
    assert upload["file"] == OGG, "the recording arrived whole"
    assert upload["file_name"] == "voice.ogg" and upload["file_type"] == "audio/ogg"
    assert upload["model"] == "whisper-1" and upload["response_format"] == "json"
    assert upload["authorization"] == f"Bearer {KEY}"
    (answering,) = provider.bodies  # an English question: no condense request
    assert "Question: Who controls Qairawan?" in texts(answering)
    assert voice_bot.sent("getFile"), "the file was fetched through getFile"


def test_a_spanish_voice_question_is_answered_in_spanish(
    voice_bot: FakeBotAPI, provider: FakeLLMProvider
) -> None:
    provider.transcript = "¿Quién controla Qairawan?"
    voice_bot.push_voice(OGG, chat_id=902, user_id=902)
    heard, preface, answer = said_in(voice_bot, 902, 3)
    assert heard == "Heard: ¿Quién controla Qairawan?"
    assert preface == "(Understood as: Who controls Qairawan?)"
    assert "Las tropas de al-Hashd al-Shaabi liberaron Qairawan" in answer
    condense, answering = provider.bodies
    assert "Last question: ¿Quién controla Qairawan?" in texts(condense)
    assert "Answer in: Spanish" in texts(answering)


def test_an_audio_file_and_a_video_note_are_questions_too(
    voice_bot: FakeBotAPI, provider: FakeLLMProvider
) -> None:
    voice_bot.push_voice(MP3, kind="audio", chat_id=903, user_id=903)
    said_in(voice_bot, 903, 2)
    voice_bot.push_voice(MP4, kind="video_note", chat_id=903, user_id=903)
    said = said_in(voice_bot, 903, 4)
    assert said[0] == said[2] == "Heard: Who controls Qairawan?"
    audio, video = provider.transcriptions
    assert (audio["file_name"], audio["file_type"], audio["file"]) == (
        "audio.mp3",
        "audio/mpeg",
        MP3,
    )
    assert (video["file_name"], video["file_type"], video["file"]) == (
        "video_note.mp4",
        "video/mp4",
        MP4,
    )


def test_a_voice_question_in_a_forum_topic_is_answered_in_that_topic(
    voice_bot: FakeBotAPI, provider: FakeLLMProvider
) -> None:
    forum, topic = -1001, 7
    mention = f"@{BOT_USER['username']}"
    extra = {
        "message_thread_id": topic,
        "is_topic_message": True,
        "chat": {"id": forum, "type": "supergroup", "title": "Newsroom", "is_forum": True},
        "caption": mention,
        "caption_entities": [{"type": "mention", "offset": 0, "length": len(mention)}],
    }
    asked = voice_bot.push_voice(OGG, chat_id=forum, user_id=111, chat_type="supergroup",
                                 extra=extra)  # fmt: skip
    voice_bot.wait_for(lambda: any(p.get("reply_markup") for p in voice_bot.sent(chat_id=forum)))
    sent = [p for p in voice_bot.sent(chat_id=forum) if p.get("_status") == 200]
    assert sent[0]["text"] == "Heard: Who controls Qairawan?"
    assert all(str(p.get("message_thread_id")) == str(topic) for p in sent), sent
    assert len(voice_bot.replies_to(asked)) >= 1
    actions = voice_bot.sent("sendChatAction", chat_id=forum)
    assert actions and all(str(a.get("message_thread_id")) == str(topic) for a in actions)
    # Not addressed to the bot (no mention, no reply to it): a group's voice chatter is left be.
    voice_bot.push_voice(OGG, chat_id=-1002, user_id=111, chat_type="group")
    voice_bot.push_message("@newsdesk_test_bot who controls Qairawan?", chat_id=-1002,
                           chat_type="group", entities=[{"type": "mention", "offset": 0,
                                                         "length": len(mention)}])  # fmt: skip
    voice_bot.wait_for(lambda: any(p.get("reply_markup") for p in voice_bot.sent(chat_id=-1002)))
    assert len(provider.transcriptions) == 1


def test_the_server_s_failures_each_get_a_clear_line_and_never_the_key(
    voice_bot: FakeBotAPI, provider: FakeLLMProvider
) -> None:
    cases = [
        ("server", OGG, FAILED["failed"]),
        ("auth", OGG, FAILED["key_refused"]),
        ("slow", OGG, FAILED["timeout"]),  # NEWSDESK_LLM_TIMEOUT_SECONDS=1
        ("malformed", OGG, FAILED["failed"]),
        ("empty", OGG, FAILED["empty"]),
        ("ok", b"this is no audio at all", FAILED["unreadable"]),
        ("ok", b"", FAILED["unreadable"]),
        ("absent", OGG, FAILED["not_offered"]),  # last: it is remembered for a while
    ]
    log = io.StringIO()
    configure_logging("DEBUG", Redactor([KEY, TOKEN]), logging.StreamHandler(log))
    try:
        for chat, (mode, audio, line) in enumerate(cases, start=911):
            provider.transcription_mode = mode
            voice_bot.push_voice(audio, chat_id=chat, user_id=chat)
            assert said_in(voice_bot, chat, 1, timeout=60) == [line], mode
    finally:
        logging.getLogger().handlers = []
    logged = log.getvalue()
    assert "Incorrect API key provided: [REDACTED]" in logged  # the server's words: logged
    assert "Invalid file format" in logged and KEY not in logged
    assert len(provider.transcriptions) == len(cases)
    # After a 404, a voice message is told at once: nothing downloaded, nothing uploaded.
    files_fetched = len(voice_bot.sent("getFile"))
    voice_bot.push_voice(OGG, chat_id=930, user_id=930)
    assert said_in(voice_bot, 930, 1) == [FAILED["not_offered"]]
    assert len(provider.transcriptions) == len(cases)
    assert len(voice_bot.sent("getFile")) == files_fetched
    assert provider.bodies == [], "no question reached the LLM"
    assert KEY not in every_text_sent(voice_bot) and TOKEN not in every_text_sent(voice_bot)


def test_a_recording_too_large_or_too_long_is_refused_before_it_is_sent(
    start_bot: StartBot, services: BotServices, provider: FakeLLMProvider
) -> None:
    fake = start_bot(services, NEWSDESK_VOICE_MAX_MB="0.01", NEWSDESK_VOICE_MAX_SECONDS="60",
                     **llm_settings(provider))  # fmt: skip
    fake.push_voice(OGG, file_size=50 * 1024 * 1024, chat_id=941, user_id=941)
    assert said_in(fake, 941, 1) == [TOO_LARGE.format(size="50.0", limit="0.01")]
    assert fake.sent("getFile") == [], "not downloaded"
    fake.push_voice(OGG, duration=3600, chat_id=942, user_id=942)
    assert said_in(fake, 942, 1) == [TOO_LONG.format(seconds=3600, limit=60)]
    # Telegram said it was small; getFile says otherwise: refused before it is downloaded.
    fake.push_voice(OGG + bytes(20_000), file_size=100, chat_id=943, user_id=943)
    assert said_in(fake, 943, 1) == [TOO_LARGE.format(size="> 0.01", limit="0.01")]
    assert provider.transcriptions == []


def test_a_voice_question_counts_once_against_the_rate_limit(
    start_bot: StartBot, services: BotServices, provider: FakeLLMProvider
) -> None:
    fake = start_bot(services, NEWSDESK_RATE_LIMIT_PER_MINUTE="1", **llm_settings(provider))
    fake.push_voice(OGG, chat_id=951, user_id=951)
    said_in(fake, 951, 2)
    fake.push_voice(OGG, chat_id=951, user_id=951)
    said = said_in(fake, 951, 3)
    assert said[2].startswith("You've asked 1 questions in the last minute")
    assert len(provider.transcriptions) == 1, "the second was not transcribed"


def test_without_an_llm_server_voice_says_what_it_needs_in_the_client_s_language(
    start_bot: StartBot, seed_bot: BotServices
) -> None:
    fake = start_bot(seed_bot)
    fake.push_voice(OGG, chat_id=961, user_id=961)
    russian = {"id": 962, "is_bot": False, "first_name": "Reader", "language_code": "ru"}
    fake.push_voice(OGG, chat_id=962, user_id=962, extra={"from": russian})
    assert said_in(fake, 961, 1) == [VOICE_OFF]
    assert "NEWSDESK_LLM" in VOICE_OFF
    assert said_in(fake, 962, 1) == [translations("ru").gettext(VOICE_OFF)]
    assert fake.sent("getFile") == []


# --- the parts ------------------------------------------------------------------------------


def test_voice_needs_an_openai_compatible_llm(tmp_path: Path) -> None:
    assert build_transcriber(make_settings(tmp_path)) is None
    other = make_settings(tmp_path, NEWSDESK_LLM="anthropic:claude-3-5-haiku-latest")
    assert build_transcriber(other) is None
    own = make_settings(
        tmp_path,
        NEWSDESK_LLM="openai:llama3.1",
        NEWSDESK_LLM_BASE_URL="http://127.0.0.1:11434/v1/",
        NEWSDESK_TRANSCRIPTION_MODEL="Systran/faster-whisper-small",
        NEWSDESK_VOICE_MAX_MB="2",
    )
    transcriber = build_transcriber(own)
    assert transcriber is not None
    assert transcriber.url == "http://127.0.0.1:11434/v1/audio/transcriptions"
    assert transcriber.model == "Systran/faster-whisper-small"
    assert transcriber.max_bytes == 2 * 1024 * 1024
    openai = build_transcriber(make_settings(tmp_path, NEWSDESK_LLM="openai:gpt-4o-mini",
                                             NEWSDESK_TRANSCRIPTION_MODEL=" "))  # fmt: skip
    assert openai is not None and openai.url == "https://api.openai.com/v1/audio/transcriptions"
    assert openai.model == "whisper-1"


def test_a_server_that_is_not_there_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transcriber = Transcriber(f"http://127.0.0.1:{port}/v1", "sk-secret-key-1234")
    with pytest.raises(TranscriptionError) as raised:
        transcriber.transcribe(Recording(OGG, "voice.ogg", "audio/ogg"))
    assert raised.value.kind == "unreachable" and "sk-secret" not in str(raised.value)


def test_a_recording_over_the_cap_is_not_sent(provider: FakeLLMProvider) -> None:
    transcriber = Transcriber(provider.base_url, None, max_bytes=100)
    with pytest.raises(TranscriptionError) as raised:
        transcriber.transcribe(Recording(OGG, "voice.ogg", "audio/ogg"))
    assert raised.value.kind == "too_large" and provider.transcriptions == []


def test_a_404_is_remembered_for_a_while(provider: FakeLLMProvider) -> None:
    now = [0.0]
    transcriber = Transcriber(provider.base_url, None, clock=lambda: now[0])
    provider.transcription_mode = "absent"
    for _ in range(2):
        with pytest.raises(TranscriptionError, match="not_offered"):
            transcriber.transcribe(Recording(OGG, "voice.ogg", "audio/ogg"))
    assert len(provider.transcriptions) == 1 and transcriber.known_not_offered()
    now[0] += 601
    provider.transcription_mode = "ok"
    assert transcriber.transcribe(Recording(OGG, "v.ogg", "audio/ogg")) == "Who controls Qairawan?"
    assert provider.transcriptions[-1]["authorization"] == "", "no key, no header"


@pytest.mark.parametrize(
    ("name", "mime", "expected"),
    [
        ("question.mp3", "audio/mpeg", "audio.mp3"),
        ("Interview.M4A", "audio/x-m4a", "audio.m4a"),
        (None, "audio/ogg", "audio.ogg"),
        ("", "audio/wav", "audio.wav"),
        ("../../etc/passwd", "audio/flac", "audio.flac"),
        ("a.<b>", "audio/unknown", "audio.mp3"),
        ("x." + "y" * 50, "audio/webm", "audio.webm"),
    ],
)
def test_an_audio_file_is_named_by_its_format_alone(
    name: str | None, mime: str, expected: str
) -> None:
    assert audio_file_name(name, mime) == expected


def test_what_was_heard_is_shown_whole_or_cut_to_fit() -> None:
    assert heard_line("who controls Qairawan?") == "who controls Qairawan?"
    long = heard_line("word " * 1000)
    assert len(long) <= 1000 and long.endswith("…")
    assert HEARD.format(text=long).startswith("Heard: word word")
