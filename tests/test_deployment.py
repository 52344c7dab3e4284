"""The whole setup of "When you outgrow one machine", with real engines: a real Postgres and a
real `chroma run` shared by two `newsdesk bot --webhook` processes (NEWSDESK_ROLE=bot, replicas
A and B) and one indexer process (NEWSDESK_ROLE=indexer), each with its own NEWSDESK_HOME and
its own fake Bot API, which posts each update to its replica's webhook with the secret token.

The engines and the three processes start once for the module; each test uses chats of its
own, and the last one kills replica A."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

import pytest

from bot.state.answers import AnswerLog
from bot.state.database import open_database
from bot.state.jobs import JobQueue
from bot.state.prompts import DatabasePromptStore
from bot.telegram.admin import QUEUED
from bot.telegram.buttons import THANKS
from index.chroma_client import open_store
from index.store import ArticleStore
from tests.conftest import SEED_DIR
from tests.support.bot_runner import TOKEN, free_port, start_bot_process
from tests.support.chroma_server import running_chroma
from tests.support.fake_telegram import FakeBotAPI
from tests.support.postgres import PostgresServer

ADMIN = 7001
COLLECTION = "newsdesk-deployment"
SEED_ARTICLE = SEED_DIR / "mosul-campaign-2017.txt"
SECRET = "deployment-test-secret"
START_SECONDS = 600  # a bound: three processes loading the model at once on a busy machine
ANSWER_SECONDS = 60
STOP_SECONDS = 15  # then kill -9: how they stop is not what this module tests
REFRESH_SECONDS = 30  # the bound on a replica noticing the indexer's change
COUNCIL = (
    "Council meets\n\nThe council of Tal Sufouq met on Monday and elected Ahmed Jabouri as its "
    "new mayor. He promised to rebuild the old river bridge before the summer."
)
NEW_WORD = "Kharsabad"  # the rewrite's one new word, in place of "old"
HARBOUR = (
    "Harbour reopens\n\nThe harbour of Umm Qasr reopened on Tuesday after its channel was "
    "dredged, and the first grain ships unloaded there the same evening."
)


@dataclass
class Process:
    """One `newsdesk bot` process, the fake Bot API it talks to, and its NEWSDESK_HOME."""

    name: str
    home: Path
    fake: FakeBotAPI
    process: subprocess.Popen[bytes]
    port: int = 0  # its webhook server's, for a replica

    def log_tail(self) -> str:
        log = self.home / "bot.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"

    def wait_for(self, condition: Callable[[], bool], timeout: float = ANSWER_SECONDS) -> None:
        try:
            self.fake.wait_for(condition, timeout)
        except AssertionError as error:
            raise AssertionError(f"{self.name}: {error}\n{self.log_tail()}") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@dataclass
class Deployment:
    database_url: str
    store: ArticleStore  # the test's own client of the collection on the Chroma server
    sources: Path  # the indexer's NEWSDESK_SOURCES
    a: Process
    b: Process
    indexer: Process

    def stop(self) -> None:
        for process in (self.a, self.b, self.indexer):
            if process.process.poll() is None:
                process.process.send_signal(signal.SIGTERM)
        for process in (self.a, self.b, self.indexer):
            try:
                process.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                late = f"{process.name} did not stop within {STOP_SECONDS} s of SIGTERM"
                warnings.warn(late, stacklevel=1)
                process.kill()
            process.fake.stop()


def start_process(name: str, root: Path, shared: dict[str, str], **environment: str) -> Process:
    home = root / name
    home.mkdir()
    fake = FakeBotAPI(TOKEN).start()
    process = start_bot_process(home, fake, log=home / "bot.log", **shared, **environment)
    return Process(name, home, fake, process)


def start_replica(name: str, root: Path, shared: dict[str, str]) -> Process:
    port = free_port()
    replica = start_process(
        name, root, shared, NEWSDESK_ROLE="bot", NEWSDESK_WEBHOOK_LISTEN="127.0.0.1",
        NEWSDESK_WEBHOOK_PORT=str(port), NEWSDESK_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        NEWSDESK_WEBHOOK_SECRET=SECRET,
    )  # fmt: skip
    replica.port = port
    return replica


def healthz(replica: Process) -> tuple[int, dict[str, Any]]:
    try:
        with urlopen(f"http://127.0.0.1:{replica.port}/healthz", timeout=10) as response:
            return int(response.status), json.loads(response.read())
    except (URLError, OSError) as error:
        return 0, {"error": str(error)}


def wait_until_ready(replica: Process, chunks: int) -> None:
    """Its webhook set with our secret, and /healthz saying the store, the database and its
    keyword index are all there, the keyword index holding the store's `chunks` (until it
    does, questions are answered from the vectors alone, and the tests' answers would
    depend on how fast it refreshes)."""
    replica.wait_for(lambda: bool(replica.fake.sent("setWebhook")), START_SECONDS)
    assert replica.fake.webhook == (f"http://127.0.0.1:{replica.port}/telegram", SECRET)
    deadline = time.monotonic() + START_SECONDS
    while (found := healthz(replica))[0] != 200 or _keyword_chunks(found[1]) != chunks:
        if time.monotonic() > deadline or replica.process.poll() is not None:
            raise AssertionError(f"{replica.name} not ready: {found}\n{replica.log_tail()}")
        time.sleep(0.3)


def _keyword_chunks(report: dict[str, Any]) -> int | None:
    keyword = report.get("keyword_index")
    return keyword.get("chunks") if isinstance(keyword, dict) else None


@pytest.fixture(scope="module")
def deployment(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """The engines and the three processes, the indexer having indexed its sources (the seed
    article and the council story) from a /reindex job queued before it started."""
    root = tmp_path_factory.mktemp("deployment")
    (root / "chroma").mkdir()
    sources = root / "sources"
    sources.mkdir()
    shutil.copy(SEED_ARTICLE, sources)
    (sources / "council.txt").write_text(COUNCIL)
    database_url = postgres.new_database()
    JobQueue(open_database(database_url)).enqueue("reindex", {}, ADMIN)
    with running_chroma(root / "chroma") as chroma_port:
        shared = {
            "NEWSDESK_DATABASE_URL": database_url,
            "NEWSDESK_CHROMA_HOST": "127.0.0.1",
            "NEWSDESK_CHROMA_PORT": str(chroma_port),
            "NEWSDESK_COLLECTION": COLLECTION,
            "NEWSDESK_ADMIN_IDS": str(ADMIN),
            "NEWSDESK_KEYWORD_REFRESH_SECONDS": "1",
            "NEWSDESK_RATE_LIMIT_PER_MINUTE": "1000",
        }
        indexer = start_process(
            "indexer", root, shared, NEWSDESK_ROLE="indexer", NEWSDESK_SOURCES=str(sources),
            NEWSDESK_JOB_POLL_SECONDS="0.3",
        )  # fmt: skip
        a = start_replica("a", root, shared)
        b = start_replica("b", root, shared)
        store = open_store(COLLECTION, host="127.0.0.1", port=chroma_port)
        deployed = Deployment(database_url, store, sources, a, b, indexer)
        try:
            indexer.wait_for(lambda: bool(reports(deployed)), START_SECONDS)
            assert "2 articles read (2 new" in reports(deployed)[0]
            for replica in (a, b):
                wait_until_ready(replica, store.count())
            yield deployed
        finally:
            deployed.stop()


# --- what a reader and an admin do ----------------------------------------------------------


def answers(replica: Process, chat_id: int) -> list[dict[str, Any]]:
    """The answers the replica sent the chat (those with buttons), as Telegram shows them."""
    return [
        {
            "message_id": 9000 + n,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "text": str(params["text"]),
            "reply_markup": json.loads(str(params["reply_markup"])),
        }
        for n, params in enumerate(replica.fake.sent(chat_id=chat_id))
        if params.get("reply_markup")
    ]


def ask(replica: Process, question: str, chat_id: int) -> dict[str, Any]:
    """Ask in a private chat; the answer with its buttons."""
    before = len(answers(replica, chat_id))
    replica.fake.push_message(question, chat_id=chat_id, user_id=chat_id)
    replica.wait_for(lambda: len(answers(replica, chat_id)) > before)
    return answers(replica, chat_id)[-1]


def texts(replica: Process, chat_id: int) -> list[str]:
    return [str(params["text"]) for params in replica.fake.sent(chat_id=chat_id)]


def tell(replica: Process, text: str, chat_id: int = ADMIN) -> str:
    """Send the admin's command or document; the replica's reply."""
    before = len(texts(replica, chat_id))
    replica.fake.push_message(text, chat_id=chat_id, user_id=chat_id)
    replica.wait_for(lambda: len(texts(replica, chat_id)) > before)
    return texts(replica, chat_id)[before]


def button_data(message: dict[str, Any]) -> list[str]:
    rows = message["reply_markup"]["inline_keyboard"]
    return [str(button["callback_data"]) for row in rows for button in row]


def press(replica: Process, data: str, message: dict[str, Any], chat_id: int) -> str:
    """Press a button under `message` on `replica`: what it answered the press with (a vote's
    thanks), else the message it sent (a passage)."""
    calls, sent = len(replica.fake.sent("answerCallbackQuery")), len(texts(replica, chat_id))
    replica.fake.push_callback(data, message, user_id=chat_id)
    if data.startswith("v:"):
        replica.wait_for(lambda: len(replica.fake.sent("answerCallbackQuery")) > calls)
        return str(replica.fake.sent("answerCallbackQuery")[-1].get("text"))
    replica.wait_for(lambda: len(texts(replica, chat_id)) > sent)
    return texts(replica, chat_id)[sent]


def answer_id(data: str) -> int:
    return int(data.split(":")[1], 16)


def reports(deployment: Deployment) -> list[str]:
    """What the indexer sent the admin: the reports of the jobs it ran."""
    return texts(deployment.indexer, ADMIN)


def run_on_indexer(deployment: Deployment, queued_on: Process, text: str) -> str:
    """Send `text` (/reindex) to a replica, which queues it; the indexer's report."""
    done = len(reports(deployment))
    assert tell(queued_on, text).startswith("Queued as job")
    deployment.indexer.wait_for(lambda: len(reports(deployment)) > done)
    return reports(deployment)[done]


def asked_until(replica: Process, question: str, chat_id: int, found: Callable[[str], bool]) -> str:
    """Ask again every second until the answer is `found`, for up to REFRESH_SECONDS: the
    last answer's text."""
    deadline = time.monotonic() + REFRESH_SECONDS
    while not found(text := str(ask(replica, question, chat_id)["text"])):
        if time.monotonic() > deadline:
            break
        time.sleep(1)
    return text


# --- the tests, in the order they run --------------------------------------------------------


def test_a_button_pressed_on_b_shows_the_passage_of_as_answer_and_bs_vote_lands_on_it(
    deployment: Deployment,
) -> None:
    reader = 111
    answer = ask(deployment.a, "who controls Qairawan?", reader)
    assert "Qairawan" in answer["text"]
    source, *_, up, _down = button_data(answer)
    assert source.startswith("p:") and up.startswith("v:")

    assert "al-Hashd al-Shaabi" in press(deployment.b, source, answer, reader)
    assert press(deployment.b, up, answer, reader) == THANKS[1]
    log = AnswerLog(open_database(deployment.database_url))
    recorded = log.get(answer_id(up))
    assert recorded is not None and recorded.question == "who controls Qairawan?"
    assert log.feedback(answer_id(up)) == [(reader, 1)]


def test_prompt_set_by_an_admin_on_a_is_used_by_bs_next_answer(deployment: Deployment) -> None:
    reader = 112
    refusal = "Nothing about that in our articles, sorry."
    assert tell(deployment.a, f"/prompt set refusal {refusal}").startswith(
        "Published refusal version 2"
    )
    answer = ask(deployment.b, "Which recipe uses saffron and cardamom?", reader)
    assert answer["text"] == refusal
    latest = DatabasePromptStore(open_database(deployment.database_url)).latest("refusal")
    assert latest is not None and latest.text.strip() == refusal


def test_an_article_the_indexer_rewrites_is_found_by_both_replicas_keyword_search(
    deployment: Deployment,
) -> None:
    """The same chunk count, one new word: each replica's keyword index notices the change
    through the store's generation and takes it in, within REFRESH_SECONDS. Proven through
    the bot by what only the keyword index can do: "Where is Kharsabad?" would be found by
    the vector search alone (the chunk holding the name is its nearest), but for this
    question the seed article's chunks are nearer, and only a BM25 hit on the new word
    brings the rewritten article in; and a misspelling is spelled from its vocabulary."""
    question = f"Who crossed the {NEW_WORD} bridge into western Mosul?"
    replicas = {113: deployment.a, 114: deployment.b}
    for chat_id, replica in replicas.items():
        assert "Council meets" not in ask(replica, f"Where is {NEW_WORD}?", chat_id)["text"]
    chunks = deployment.store.count()
    (deployment.sources / "council.txt").write_text(COUNCIL.replace("old", NEW_WORD))

    report = run_on_indexer(deployment, deployment.b, "/reindex")
    assert "(0 new, 1 changed" in report and "pruned" not in report
    assert deployment.store.count() == chunks, "the same chunk count"
    cited = f"{NEW_WORD} river bridge"
    for chat_id, replica in replicas.items():
        text = asked_until(replica, question, chat_id, lambda text: cited in text)
        assert cited in text and "Council meets" in text, replica.name
        before = len(texts(replica, chat_id))
        ask(replica, f"Where is {NEW_WORD[:-2]}d?", chat_id)
        understood = f"(Understood as: Where is {NEW_WORD}?)"
        assert texts(replica, chat_id)[before] == understood, replica.name


def test_reindex_on_a_is_run_by_the_indexer_and_keeps_an_upload_made_through_b(
    deployment: Deployment,
) -> None:
    a, b, indexer = deployment.a, deployment.b, deployment.indexer
    done = len(reports(deployment))
    sent = len(texts(b, ADMIN))
    b.fake.push_document("harbour.txt", HARBOUR.encode(), user_id=ADMIN)
    b.wait_for(lambda: len(texts(b, ADMIN)) > sent)
    assert texts(b, ADMIN)[sent].startswith("Queued as job")
    indexer.wait_for(lambda: len(reports(deployment)) > done)
    assert "1 articles read (1 new" in reports(deployment)[done]
    # The indexer's copy of the upload is gone from its disk: the shared record says the
    # upload is there, so /reindex writes it again and prunes nothing.
    (copy,) = (indexer.home / "uploads").glob("*/harbour.txt")
    copy.unlink()

    queued = tell(a, "/reindex")
    job = int(queued.split()[3].rstrip(":"))
    assert queued == QUEUED.format(job=job)
    indexer.wait_for(lambda: len(reports(deployment)) > done + 1)
    report = reports(deployment)[done + 1]
    assert "pruned" not in report and "index already up to date" in report
    assert copy.exists() and str(copy.resolve()) in deployment.store.articles()
    finished = JobQueue(open_database(deployment.database_url)).get(job)
    assert finished is not None and finished.status == "done"
    answer = ask(a, "When did the harbour of Umm Qasr reopen?", 115)
    assert "Harbour reopens" in answer["text"]


def test_kill_9_of_a_after_an_answer_and_a_vote_loses_neither_and_b_keeps_answering(
    deployment: Deployment,
) -> None:
    reader = 116
    answer = ask(deployment.a, "who controls Qairawan?", reader)
    source, *_, up, _down = button_data(answer)
    assert press(deployment.a, up, answer, reader) == THANKS[1]
    deployment.a.kill()  # at once: whatever was not committed by now is lost

    log = AnswerLog(open_database(deployment.database_url))
    recorded = log.get(answer_id(up))
    assert recorded is not None and recorded.question == "who controls Qairawan?"
    assert log.feedback(answer_id(up)) == [(reader, 1)]
    assert "Qairawan" in ask(deployment.b, "who controls Qairawan?", reader)["text"]
    assert "al-Hashd al-Shaabi" in press(deployment.b, source, answer, reader)
    assert healthz(deployment.b)[0] == 200
