"""Documents and links admins send: kept by content, checked before anything changes, indexed
in the background while the bot answers everyone else, and reported in messages Telegram can
parse. Real Application, fake Bot API server, real Chroma and model."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot.telegram.admin import REINDEXING_WITHOUT_SOURCES
from bot.telegram.uploads import safe_name
from tests.support.documents import make_pdf
from tests.support.fake_telegram import FakeBotAPI, parse_telegram_html
from tests.test_telegram_admin import ADMIN, READER, STORY, StartBot, replies, start_bot

__all__ = ["start_bot"]  # the fixture, shared with the other admin tests

HOSTILE_TITLE = "<b>&amp; … &</i>" * 170
OTHER_STORY = (
    "The ferry between Baaj and Tal Afar ran again on Tuesday for the first time in a year.\n\n"
    "Its captain said the river was calm and the passengers were few."
)


def uploads(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "uploads").rglob("*") if p.is_file())


def html_replies_parse(fake: FakeBotAPI, chat_id: int) -> None:
    for params in fake.sent(chat_id=chat_id):
        assert params.get("parse_mode") in (None, "HTML")
        if params.get("parse_mode") == "HTML":
            assert parse_telegram_html(str(params["text"]))[1] == ""


def test_two_different_uploads_with_the_same_name_are_both_kept(
    start_bot: StartBot, tmp_path: Path
) -> None:
    fake, service = start_bot()
    first = b"Mayor elected in Tal Sufouq\n\n" + STORY.encode()
    fake.push_document("news.txt", first, user_id=ADMIN)
    assert "1 new" in replies(fake, ADMIN, 1)[0]
    fake.push_document("news.txt", b"Ferry runs again\n\n" + OTHER_STORY.encode(), user_id=ADMIN)
    second = replies(fake, ADMIN, 2)[1]
    assert "1 new" in second and "removed" not in second.replace("0 removed", "")
    assert service.store.overview().articles == 2
    fake.push_document("news.txt", first, user_id=ADMIN)  # the same document again
    assert (
        "0 chunks added" in replies(fake, ADMIN, 3)[2]
        and "1 unchanged" in replies(fake, ADMIN, 3)[2]
    )
    kept = uploads(tmp_path)
    assert [p.name for p in kept] == ["news.txt", "news.txt"] and kept[0].parent != kept[1].parent
    assert service.store.overview().articles == 2


def test_an_upload_past_the_article_cap_is_refused_with_a_clear_message(
    start_bot: StartBot, tmp_path: Path
) -> None:
    fake, service = start_bot()
    line = ("word " * 400_000).encode()  # 2 MB on one line
    fake.push_document("huge.txt", b"Huge\n" + line, user_id=ADMIN)
    (reply,) = replies(fake, ADMIN, 1)
    assert reply.startswith("I couldn't read huge.txt: too long to index (1,999,999 characters")
    assert "the limit is 100,000 per article, NEWSDESK_MAX_ARTICLE_CHARS" in reply
    assert service.store.count() == 0 and uploads(tmp_path) == []


def test_the_bot_answers_others_while_an_upload_is_indexed(start_bot: StartBot) -> None:
    fake, _ = start_bot()
    long_story = "\n\n".join(f"Part {n}. {STORY} {OTHER_STORY}" for n in range(150))  # 60 KB
    fake.push_document("long.md", f"A long report\n\n{long_story}".encode(), user_id=ADMIN)
    fake.push_message("who is the mayor of Tal Sufouq?", chat_id=READER, user_id=READER)
    fake.wait_for(lambda: len(fake.sent(chat_id=ADMIN)) >= 1, timeout=120)
    (report,) = fake.sent(chat_id=ADMIN)
    assert "1 new" in str(report["text"])
    (answer, *_) = fake.sent(chat_id=READER)
    # The reader was answered while the upload was still being indexed, not after it.
    assert answer["_received"] < report["_received"]


def test_a_parser_crash_is_couldnt_read_with_the_name_and_leaves_no_temporary_file(
    start_bot: StartBot, tmp_path: Path
) -> None:
    fake, service = start_bot()
    crafted = make_pdf(["Schools reopen", "Six schools reopened."], operators="3 0 R ")
    fake.push_document("briefing.pdf", crafted, user_id=ADMIN)
    (reply,) = replies(fake, ADMIN, 1)
    assert reply.startswith("I couldn't read briefing.pdf: could not be read (AssertionError")
    assert reply.endswith("Nothing was changed.")
    assert uploads(tmp_path) == [] and service.store.count() == 0


def test_a_hostile_file_name_is_sanitised_on_disk_and_in_messages(
    start_bot: StartBot, tmp_path: Path
) -> None:
    fake, _ = start_bot()
    started = time.monotonic()
    fake.push_document("../../evil<b>&name.txt", f"Mayor\n\n{STORY}".encode(), user_id=ADMIN)
    fake.push_document("../../evil<b>&name.exe", b"MZ", user_id=ADMIN)
    # The refusal is immediate; the report follows the indexing in the background.
    refused, report = sorted(replies(fake, ADMIN, 2), key=lambda text: "1 new" in text)
    assert time.monotonic() - started < 60
    assert "1 new" in report
    assert refused.startswith("I can't index evil_b__name.exe: send one of")
    (kept,) = uploads(tmp_path)
    assert kept.name == "evil_b__name.txt" and kept.parent.parent == tmp_path / "uploads"
    assert not list(tmp_path.parent.glob("evil*")) and not list(tmp_path.glob("evil*"))
    html_replies_parse(fake, ADMIN)
    assert safe_name("..\\..\\x.md") == "x.md" and safe_name("<>.txt") == "__.txt"
    assert safe_name("...") == "document" and len(safe_name("a" * 500 + ".md")) == 100


def test_a_long_report_with_hostile_titles_is_split_between_elements(start_bot: StartBot) -> None:
    fake, service = start_bot()
    records = [
        {"id": n, "title": f"{n} {HOSTILE_TITLE}", "text": f"Story {n}. {STORY}"} for n in range(12)
    ]
    body = "".join(json.dumps(record) + "\n" for record in records).encode()
    fake.push_document("wire.jsonl", body, user_id=ADMIN)
    fake.wait_for(lambda: len(fake.sent(chat_id=ADMIN)) >= 2, timeout=120)
    time.sleep(1.0)
    sent = fake.sent(chat_id=ADMIN)
    assert len(sent) >= 2 and all(p.get("parse_mode") == "HTML" for p in sent)
    html_replies_parse(fake, ADMIN)
    assert "12 new" in str(sent[0]["text"]) and "and 2 more" in str(sent[-1]["text"])
    assert service.store.overview().articles == 12


def test_reindex_without_sources_leaves_the_sample_out(start_bot: StartBot) -> None:
    fake, service = start_bot()  # NEWSDESK_SOURCES empty, the sample folder at its default
    fake.push_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
    started, report = replies(fake, ADMIN, 2)
    assert started == REINDEXING_WITHOUT_SOURCES
    assert "0 articles read" in report and service.store.count() == 0
