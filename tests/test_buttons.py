"""Source and feedback buttons under answers, kept working across a restart, and /stats.
Real Application, fake Bot API server, the answer log in the shared database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bot.answering.service import AnswerService
from bot.render import TELEGRAM_LIMIT, telegram_length
from bot.state.tables import answers
from bot.telegram.buttons import (
    ELSEWHERE,
    EXPIRED,
    MAX_CALLBACK_BYTES,
    OLD_BUTTON,
    THANKS,
    UNKNOWN_BUTTON,
)
from bot.wiring.bot import BotServices, build_bot
from bot.wiring.state import open_state
from index.articles import Article
from index.embeddings import SentenceTransformerEmbeddings
from index.pipeline import index_articles
from index.store import ArticleStore
from tests.conftest import make_settings
from tests.support.bot_runner import BotRunner
from tests.support.fake_telegram import FakeBotAPI, parse_telegram_html

ADMIN = 7001


def start(runner: BotRunner, home: Path, parts: BotServices, **settings: object) -> FakeBotAPI:
    return runner.start(
        lambda **telegram: make_settings(
            home, NEWSDESK_ADMIN_IDS=str(ADMIN), **settings, **telegram
        ),
        parts,
    )


def buttons(message: dict[str, Any]) -> list[dict[str, str]]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


def answered_message(fake: FakeBotAPI) -> dict[str, Any]:
    """The bot's last answer message, as Telegram would hold it (with its keyboard)."""
    (params,) = [p for p in fake.sent(chat_id=111) if p.get("reply_markup")][-1:]
    return {
        "message_id": 9000,
        "date": 0,
        "chat": {"id": 111, "type": "private"},
        "text": str(params["text"]),
        "reply_markup": json.loads(str(params["reply_markup"])),
    }


def test_source_and_feedback_buttons_survive_a_restart(
    tmp_path: Path, seed_bot: BotServices
) -> None:
    runner = BotRunner()
    fake = start(runner, tmp_path, seed_bot)
    fake.push_message("who controls Qairawan?")
    fake.wait_for(lambda: bool(fake.sent(chat_id=111)))
    message = answered_message(fake)
    labels = [b["text"] for b in buttons(message)]
    assert labels[-2:] == ["👍", "👎"] and labels[0].startswith("[1] ")
    assert all(len(b["callback_data"].encode()) <= MAX_CALLBACK_BYTES for b in buttons(message))
    runner.stop_all()

    # A new process: the buttons of the old answer still work.
    runner = BotRunner()
    fake = start(runner, tmp_path, seed_bot)
    source = buttons(message)[0]["callback_data"]
    fake.push_callback(source, message)
    fake.wait_for(lambda: bool(fake.sent(chat_id=111)))
    passage, error = parse_telegram_html(str(fake.sent(chat_id=111)[0]["text"]))
    assert error == "" and passage.startswith("[1] ")
    assert "al-Hashd al-Shaabi" in passage and "2017" in passage
    # The whole passage: the found chunk and its neighbours.
    state = open_state(make_settings(tmp_path))
    where = int(source.split(":")[1], 16)
    logged = state.answers.get(where)
    assert logged is not None
    cited = seed_bot.answering.store.get_chunks(logged.citations[0].passage_ids)
    assert len(cited) > 1
    assert all(" ".join(chunk.text.split()) in " ".join(passage.split()) for chunk in cited)
    assert "[…]" not in passage  # consecutive chunks: nothing skipped
    # An answer recorded before passages were kept (no passage_ids): its found chunk is shown.
    with state.database.transaction() as db:
        raw = db.scalar(select(answers.c.answer_json).where(answers.c.id == where))
        old = json.loads(str(raw))
        for citation in old["citations"]:
            del citation["passage_ids"]
        db.execute(update(answers).where(answers.c.id == where).values(answer_json=json.dumps(old)))
    fake.push_callback(source, message)
    fake.wait_for(lambda: len(fake.sent(chat_id=111)) >= 2)
    chunk_only, error = parse_telegram_html(str(fake.sent(chat_id=111)[1]["text"]))
    (found,) = seed_bot.answering.store.get_chunks([logged.citations[0].chunk_id])
    assert error == "" and " ".join(found.text.split()) in " ".join(chunk_only.split())
    assert len(chunk_only) < len(passage)
    # A passage after its article's lede: the skip between them is marked.
    (lede,) = [c for c in seed_bot.answering.store.all_chunks() if c.position == 0]
    assert lede.id not in logged.citations[0].passage_ids
    with state.database.transaction() as db:
        old["citations"][0]["passage_ids"] = [lede.id, *logged.citations[0].passage_ids]
        db.execute(update(answers).where(answers.c.id == where).values(answer_json=json.dumps(old)))
    fake.push_callback(source, message)
    fake.wait_for(lambda: len(fake.sent(chat_id=111)) >= 3)
    with_lede, error = parse_telegram_html(str(fake.sent(chat_id=111)[2]["text"]))
    assert error == "" and with_lede.count("\n[…]\n") == 1
    before, after = with_lede.split("\n[…]\n")
    assert " ".join(lede.text.split()) in " ".join(before.split())
    assert " ".join(after.split()) in " ".join(passage.split())

    up = buttons(message)[-2]["callback_data"]
    fake.push_callback(up, message)
    fake.push_callback("s:1:1", message)  # a button from before: ids counted per machine
    fake.push_callback("<script>:x:y", message)  # not data we ever sent
    fake.push_callback("p:7fffffffffffffff:1", message)  # no such answer
    fake.push_callback("v:" + "f" * 40 + ":1", message)  # too long an id
    fake.wait_for(lambda: len(fake.sent("answerCallbackQuery")) >= 8)
    replies = [p.get("text") for p in fake.sent("answerCallbackQuery")]
    assert replies[3:] == [THANKS[1], OLD_BUTTON, UNKNOWN_BUTTON, EXPIRED, UNKNOWN_BUTTON]

    answer_id = int(up.split(":")[1], 16)
    log = state.answers
    assert log.feedback(answer_id) == [(111, 1)]
    stored = log.get(answer_id)
    assert stored is not None and stored.question == "who controls Qairawan?"
    assert stored.citations and stored.answer.endswith("[1]")
    with state.database.transaction() as db:
        version = db.scalar(select(answers.c.prompt_version).where(answers.c.id == answer_id))
    assert version == "extractive (no LLM)"

    fake.push_message("/stats", chat_id=ADMIN, user_id=ADMIN)
    fake.wait_for(lambda: bool(fake.sent(chat_id=ADMIN)))
    day, week = str(fake.sent(chat_id=ADMIN)[0]["text"]).splitlines()
    assert day.startswith("Last 24 hours: 1 questions, 0 refused, 1 👍, 0 👎, median latency")
    assert week.startswith("Last 7 days: 1 questions") and week.endswith(" ms")
    runner.stop_all()


def test_answer_log_stats_and_changed_votes(tmp_path: Path, seed_service: AnswerService) -> None:
    log = open_state(make_settings(tmp_path)).answers
    answered = seed_service.answer("who controls Qairawan?")
    refused = seed_service.answer("What is the population of Baghdad?")
    first = log.record(answered, chat_id=1, user_id=1, latency_ms=100, prompt_version="extractive")
    log.record(refused, chat_id=1, user_id=2, latency_ms=300, prompt_version="extractive")
    assert log.vote(first, 1, 1) and log.vote(first, 1, -1)  # a changed mind counts once
    assert not log.vote(12345, 1, 1)
    week = log.stats(7 * 86400)
    assert (week.questions, week.refusals, week.thumbs_up, week.thumbs_down) == (2, 1, 0, 1)
    assert week.median_latency_ms == 200
    assert log.stats(60, now=10**11).questions == 0


def test_a_passage_too_long_for_one_message_is_sent_in_several(
    tmp_path: Path, fresh_store: ArticleStore, embeddings: SentenceTransformerEmbeddings
) -> None:
    """A hostile title (HTML, thousands of characters) on a long passage: every message fits
    Telegram's limit and parses, and the whole passage is shown."""
    paragraph = "The militia that controls Qairawan said on day {n} that the road is open. " * 9
    article = Article(
        key="long",
        title="<b>Qairawan</b> & co " * 300,
        text="\n".join(paragraph.format(n=n) for n in range(6)),
        url="https://example.org/long",
        source="example.org",
        published="2023-01-02",
    )
    index_articles([article], fresh_store, embeddings)
    service = build_bot(make_settings(tmp_path), store=fresh_store, embeddings=embeddings)
    runner = BotRunner()
    fake = start(runner, tmp_path, service)
    fake.push_message("who controls Qairawan?")
    fake.wait_for(lambda: any(p.get("reply_markup") for p in fake.sent(chat_id=111)))
    message = answered_message(fake)
    before = len(fake.sent(chat_id=111))
    fake.push_callback(buttons(message)[0]["callback_data"], message)
    fake.wait_for(lambda: len(fake.sent("answerCallbackQuery")) >= 1)
    fake.wait_for(lambda: len(fake.sent(chat_id=111)) >= before + 2)
    runner.stop_all()
    shown = ""
    for params in fake.sent(chat_id=111)[before:]:
        assert telegram_length(str(params["text"])) <= TELEGRAM_LIMIT
        visible, error = parse_telegram_html(str(params["text"]))
        assert error == ""
        shown += visible
    assert "<b>Qairawan</b> & co" in shown  # the title's HTML shown as text, not markup
    assert "day 0" in shown or "day 5" in shown


ANN, BOB, GROUP = 111, 222, -300


def message_in(chat_id: int, like: dict[str, Any]) -> dict[str, Any]:
    """The bot's answer message `like`, as if it stood in chat `chat_id`."""
    chat_type = "private" if chat_id > 0 else "group"
    return {**like, "chat": {"id": chat_id, "type": chat_type}}


def test_forged_button_data_gets_a_plain_answer_never_a_crash(
    tmp_path: Path, seed_bot: BotServices
) -> None:
    """Ids of 2^63 and more overflowed SQLite's INTEGER ("Sorry, something went wrong", the
    press never answered); every other shape is answered plainly too."""
    runner = BotRunner()
    # Presses count against the rate limit as questions do: 14 of them would pass it.
    fake = start(runner, tmp_path, seed_bot, NEWSDESK_RATE_LIMIT_PER_MINUTE=0)
    try:
        fake.push_message("who controls Qairawan?")
        fake.wait_for(lambda: bool(fake.sent(chat_id=ANN)))
        message = answered_message(fake)
        key = buttons(message)[0]["callback_data"].split(":")[1]
        forged = [
            "p:8000000000000000:1",  # 2^63
            "v:ffffffffffffffff:1",  # 2^64 - 1
            "p:0:1",
            "p:-5:1",
            "v:-1:1",
            "p:xyz:1",
            f"p:{key}:x",
            f"p:{key}:0",
            f"p:{key}:-1",
            f"v:{key}:5",
            f"v:{key}:0",
            f"x:{key}:1",
            f"p:{key}",
            f"p:{key}:1:1",
            "",
        ]
        for data in forged:
            fake.push_callback(data, message)
        fake.wait_for(lambda: len(fake.sent("answerCallbackQuery")) >= len(forged) - 1)
        fake.push_message("/help")  # handled after the presses: nothing more is coming
        fake.wait_for(lambda: len(fake.sent(chat_id=ANN)) >= 2)
    finally:
        runner.stop_all()
    replies = [p.get("text") for p in fake.sent("answerCallbackQuery")]
    # An empty data field is no button of ours at all: python-telegram-bot answers nothing.
    assert len(replies) == len(forged) - 1
    assert set(replies) <= {UNKNOWN_BUTTON, EXPIRED}, replies
    texts = [str(p["text"]) for p in fake.sent(chat_id=ANN)]
    assert len(texts) == 2 and "I answer questions" in texts[1], "no passage, no apology"
    assert open_state(make_settings(tmp_path)).answers.feedback(int(key, 16)) == []


def test_a_button_works_only_in_its_chat_or_for_its_asker(
    tmp_path: Path, seed_bot: BotServices
) -> None:
    """Bob, given Ann's answer id, gets nothing of Ann's in his own chat and can't vote on
    her answer; in the group the answer was given in, any member can use its buttons."""
    runner = BotRunner()
    fake = start(runner, tmp_path, seed_bot)
    try:
        fake.push_message("who controls Qairawan?", chat_id=ANN, user_id=ANN)
        fake.wait_for(lambda: bool(fake.sent(chat_id=ANN)))
        ann = answered_message(fake)
        source, up = buttons(ann)[0]["callback_data"], buttons(ann)[-2]["callback_data"]
        fake.push_callback(source, message_in(BOB, ann), user_id=BOB)
        fake.push_callback(up, message_in(BOB, ann), user_id=BOB)
        fake.push_callback(source, message_in(GROUP, ann), user_id=BOB)
        fake.wait_for(lambda: len(fake.sent("answerCallbackQuery")) >= 3)
        # Ann's own button, pressed where it was sent, still works.
        fake.push_callback(source, ann, user_id=ANN)
        fake.wait_for(lambda: len(fake.sent(chat_id=ANN)) >= 2)

        mention = "@newsdesk_test_bot who controls Qairawan?"
        entity = {"type": "mention", "offset": 0, "length": len("@newsdesk_test_bot")}
        fake.push_message(mention, chat_id=GROUP, chat_type="group", user_id=ANN,
                          entities=[entity])  # fmt: skip
        fake.wait_for(lambda: bool(fake.sent(chat_id=GROUP)))
        (group_answer,) = fake.sent(chat_id=GROUP)
        in_group = message_in(GROUP, {**ann, "reply_markup": json.loads(
            str(group_answer["reply_markup"]))})  # fmt: skip
        fake.push_callback(buttons(in_group)[0]["callback_data"], in_group, user_id=BOB)
        fake.wait_for(lambda: len(fake.sent(chat_id=GROUP)) >= 2)
    finally:
        runner.stop_all()
    refused = [p.get("text") for p in fake.sent("answerCallbackQuery")][:3]
    assert refused == [ELSEWHERE] * 3
    assert fake.sent(chat_id=BOB) == []
    assert "al-Hashd al-Shaabi" in str(fake.sent(chat_id=ANN)[1]["text"])
    assert "al-Hashd al-Shaabi" in str(fake.sent(chat_id=GROUP)[1]["text"])
    answer_id = int(up.split(":")[1], 16)
    assert open_state(make_settings(tmp_path)).answers.feedback(answer_id) == []
