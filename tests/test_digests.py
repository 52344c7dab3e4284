"""/digest and /timezone (issue 28) through the fake Bot API: good input and bad, and a due
digest sent once by the process that indexes, listing the followed story's new report, then
not listing it again. Real Application, store, model and database."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.state.tables import follow_digests
from bot.telegram.digests import DIGEST_HEADING, DIGEST_USAGE, TIMEZONE_USAGE
from bot.wiring.state import open_state
from tests.conftest import make_settings
from tests.support.fake_telegram import FakeBotAPI
from tests.test_follows import OTHER, say
from tests.test_telegram_admin import ADMIN, READER, STORY, StartBot, start_bot

__all__ = ["start_bot"]  # the fixture


def digests_sent(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [
        str(p["text"])
        for p in fake.sent(chat_id=chat_id)
        if str(p["text"]).startswith(("🗞", DIGEST_HEADING))
    ]


def make_due(tmp_path: Path) -> None:
    """The digest's time has come (as it would at 08:30 in Berlin)."""
    state = open_state(make_settings(tmp_path))
    with state.database.transaction() as db:
        db.execute(follow_digests.update().values(next_at=0.0))


def test_digest_and_timezone_take_good_input_and_send_the_digest_once(
    start_bot: StartBot, tmp_path: Path
) -> None:
    fake, _ = start_bot(NEWSDESK_JOB_POLL_SECONDS="0.5")
    assert say(fake, "/timezone") == f"Your time zone here is UTC. {TIMEZONE_USAGE}"
    assert say(fake, "/timezone Mars/Olympus").startswith(
        "I don't know the time zone “Mars/Olympus”: give its IANA name"
    )
    assert say(fake, "/timezone " + "Europe/" * 300).startswith("I don't know the time zone")
    assert say(fake, "/timezone Europe/Berlin") == "Time zone set to Europe/Berlin."
    assert say(fake, "/digest") == DIGEST_USAGE
    assert say(fake, "/digest 25:99") == (
        f"“25:99” is not a time of day: give it as HH:MM, for example 08:30. {DIGEST_USAGE}"
    )
    assert say(fake, "/digest 08:30").startswith(
        "Your digest of the stories you follow comes daily at 08:30 (Europe/Berlin;"
    )
    assert say(fake, "/digest").startswith("Your digest comes daily at 08:30 (Europe/Berlin).")
    say(fake, "/follow the mayor of Tal Sufouq")
    say(fake, "/follow football world cup final", chat_id=OTHER)

    today = datetime.now(UTC).date().isoformat()
    record = {"id": "mayor", "title": "Mayor elected", "text": STORY, "published": today}
    fake.push_document("wire.jsonl", json.dumps(record).encode() + b"\n", user_id=ADMIN)
    fake.wait_for(lambda: any("articles read" in str(p["text"]) for p in fake.sent(chat_id=ADMIN)))
    make_due(tmp_path)
    fake.wait_for(lambda: bool(digests_sent(fake, READER)), timeout=60)
    time.sleep(1.5)  # three more looks for due digests: none is
    (digest,) = digests_sent(fake, READER)
    assert digest.startswith(DIGEST_HEADING) and "• Mayor elected" in digest
    assert "<b>the mayor of Tal Sufouq</b>" in digest and "Ahmed Jabouri" in digest
    assert digests_sent(fake, OTHER) == []

    make_due(tmp_path)  # the next day: the report was in the last digest
    fake.wait_for(lambda: len(digests_sent(fake, READER)) == 2, timeout=60)
    assert digests_sent(fake, READER)[1].startswith(
        "🗞 No new reports on the stories you follow since"
    )
    assert say(fake, "/digest off") == "Daily digest off."
    make_due(tmp_path)
    time.sleep(1.5)
    assert len(digests_sent(fake, READER)) == 2
