"""Per-chat sources in Telegram (issue 29): two groups scoped with /sources to two collections
never see each other's articles, in answers, their sources, /articles or /follow pushes; an
admin's upload in a chat scoped to one collection goes into it; a chat member who isn't an
admin can list the collections but not change them; bad input to /sources is refused saying
why. The collections are made with the real `newsdesk index --collection`; real Application,
store and model, fake Bot API."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main
from bot.telegram.pushes import HEADING
from bot.telegram.sources import CHAT_ADMINS_ONLY
from bot.wiring.state import open_state
from tests.conftest import make_settings
from tests.support.fake_telegram import FakeBotAPI
from tests.test_telegram_admin import ADMIN, READER, STORY, StartBot, replies, start_bot

__all__ = ["start_bot"]  # the fixture

DESK_A, DESK_B = -2001, -2002
EDITOR_A, EDITOR_B, MEMBER = 301, 302, 303
MAYOR = (
    "Mayor chosen in Tal Sufouq\n\n"
    "The town council of Tal Sufouq chose Salim Qadir as its mayor on Friday, after a vote "
    "that took all night."
)
FERRY = (
    "Ferry runs again to Tal Sufouq\n\n"
    "The ferry between Baaj and Tal Sufouq ran again on Tuesday; its captain, Omar Sabri, said "
    "the river was calm."
)


@pytest.fixture
def two_collections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bot's home with the mayor's story in `politics` and the ferry's in `transport`,
    indexed by the command line."""
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSDESK_EMBEDDING_BACKEND", "torch")  # the bot's, the tests' model
    for name, text, collection in (("mayor.txt", MAYOR, "politics"),
                                   ("ferry.txt", FERRY, "transport")):  # fmt: skip
        (tmp_path / name).write_text(text)
        assert main(["index", str(tmp_path / name), "--collection", collection, "--quiet"]) == 0
    return tmp_path


def say(fake: FakeBotAPI, text: str, chat_id: int, user_id: int) -> str:
    """Send a message in a group (or, to READER/ADMIN, their private chat); the reply."""
    before = len(fake.sent(chat_id=chat_id))
    kind = "group" if chat_id < 0 else "private"
    fake.push_message(text, chat_id=chat_id, chat_type=kind, user_id=user_id)
    return replies(fake, chat_id, before + 1)[before]


def all_text(fake: FakeBotAPI, chat_id: int) -> str:
    return "\n".join(str(p["text"]) for p in fake.sent(chat_id=chat_id))


def pushes(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [
        str(p["text"]) for p in fake.sent(chat_id=chat_id) if str(p["text"]).startswith(HEADING)
    ]


def scoped_desks(start_bot: StartBot) -> FakeBotAPI:
    fake, _ = start_bot()
    fake.chat_admins = {DESK_A: {EDITOR_A}, DESK_B: {EDITOR_B}}
    listed = say(fake, "/sources", DESK_A, MEMBER)
    assert listed.startswith("Collections (articles):\n• politics: 1\n• transport: 1\n")
    assert "This chat answers from every collection." in listed
    chosen = say(fake, "/sources politics", DESK_A, EDITOR_A)
    assert chosen.startswith("This chat now answers from politics")
    assert say(fake, "/sources Transport", DESK_B, EDITOR_B).startswith(
        "This chat now answers from transport"
    )
    assert "✓ politics: 1\n• transport: 1" in say(fake, "/sources", DESK_A, MEMBER)
    return fake


def test_two_chats_scoped_to_two_collections_never_see_each_others_articles(
    two_collections: Path, start_bot: StartBot
) -> None:
    fake = scoped_desks(start_bot)
    mayor_in_a = say(fake, "/ask who was chosen as mayor of Tal Sufouq?", DESK_A, MEMBER)
    ferry_in_a = say(fake, "/ask who is the captain of the ferry to Tal Sufouq?", DESK_A, MEMBER)
    mayor_in_b = say(fake, "/ask who was chosen as mayor of Tal Sufouq?", DESK_B, MEMBER)
    ferry_in_b = say(fake, "/ask who is the captain of the ferry to Tal Sufouq?", DESK_B, MEMBER)
    assert "Salim Qadir" in mayor_in_a and "Mayor chosen in Tal Sufouq" in mayor_in_a
    assert "Omar Sabri" in ferry_in_b and "Ferry runs again" in ferry_in_b
    # Nothing of the other desk's collection, in any answer or its sources.
    assert "Omar Sabri" not in all_text(fake, DESK_A) and "Ferry" not in all_text(fake, DESK_A)
    assert "Salim Qadir" not in all_text(fake, DESK_B) and "Mayor" not in all_text(fake, DESK_B)
    # (Asked about the other desk's story, each answers from its own articles, or refuses.)
    assert "Omar Sabri" not in ferry_in_a and "Salim Qadir" not in mayor_in_b
    # A chat with no scope answers from every collection.
    assert "Omar Sabri" in say(fake, "who is the captain of the ferry to Tal Sufouq?", READER,
                               READER)  # fmt: skip
    # /articles (for the bot's admins) lists the chat's collections alone.
    listed_a = say(fake, "/articles", DESK_A, ADMIN)
    assert "Mayor chosen in Tal Sufouq" in listed_a and "Ferry" not in listed_a
    assert listed_a.startswith("Articles in politics: 1-1 of 1")
    listed_b = say(fake, "/articles", DESK_B, ADMIN)
    assert "Ferry runs again" in listed_b and "Mayor" not in listed_b
    assert say(fake, "/articles mayor", DESK_B, ADMIN) == (
        "No articles in transport with 'mayor' in the title (this chat's /sources)."
    )

    # Both desks and an unscoped reader follow the same story; the admin, whose chat is
    # scoped to politics, uploads a report on it: it goes into politics, and is pushed to
    # desk A and the reader, never to desk B.
    for chat, user in ((DESK_A, EDITOR_A), (DESK_B, EDITOR_B), (READER, READER)):
        assert say(fake, "/follow the mayor of Tal Sufouq", chat, user).startswith("Following")
    assert say(fake, "/sources politics", ADMIN, ADMIN).startswith("This chat now answers")
    fake.push_document("council.txt", f"Council elects mayor\n\n{STORY}".encode(), user_id=ADMIN)
    fake.wait_for(lambda: bool(pushes(fake, DESK_A)) and bool(pushes(fake, READER)), timeout=120)
    fake.wait_for(lambda: "articles read" in all_text(fake, ADMIN), timeout=60)
    assert "Council elects mayor" in pushes(fake, DESK_A)[0]
    assert pushes(fake, DESK_B) == []
    assert "Council elects mayor" in say(fake, "/articles", DESK_A, ADMIN)
    assert "Council elects mayor" not in say(fake, "/articles", DESK_B, ADMIN)


def test_a_member_who_is_no_admin_can_list_but_not_change_the_sources(
    two_collections: Path, start_bot: StartBot
) -> None:
    fake = scoped_desks(start_bot)
    assert say(fake, "/sources transport", DESK_A, MEMBER) == CHAT_ADMINS_ONLY
    assert say(fake, "/sources all", DESK_A, EDITOR_B) == CHAT_ADMINS_ONLY  # B's editor
    state = open_state(make_settings(two_collections))
    assert state.sources.scope(DESK_A) == ("politics",)
    # The bot's own admins may, in any chat; and `all` resets it.
    assert say(fake, "/sources all", DESK_A, ADMIN).startswith(
        "This chat now answers from every collection"
    )
    assert state.sources.scope(DESK_A) is None
    assert "Omar Sabri" in say(fake, "/ask who is the captain of the ferry?", DESK_A, MEMBER)


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("/sources sports", "no articles are in sports (the collections: politics, transport)"),
        ("/sources " + "x" * 5000, "a collection name is at most 40 characters, not 5,000"),
        ("/sources politics bad/name", "'bad/name' is not a collection name"),
        ("/sources all politics", "'all' goes alone"),
        ("/sources " + "politics " * 25, "name at most 20 collections"),
        ("/sources pol\u200bitics", "is not a collection name"),
    ],
)
def test_bad_input_to_sources_changes_nothing_and_says_why(
    two_collections: Path, start_bot: StartBot, command: str, says: str
) -> None:
    fake = scoped_desks(start_bot)
    reply = say(fake, command, DESK_A, EDITOR_A)
    assert reply.startswith("Not changed: ") and says in reply, reply
    assert open_state(make_settings(two_collections)).sources.scope(DESK_A) == ("politics",)
