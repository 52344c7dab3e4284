"""A fake Telegram Bot API server on 127.0.0.1 that records every call.

The real python-telegram-bot Application talks HTTP to it through `base_url`, exactly as it
would to a self-hosted Bot API server. Like Telegram, it rejects HTML it can't parse,
messages over 4096 characters and more than 20 messages a minute to one group, so rendering
bugs and floods fail the tests the way they'd fail in use.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import math
import queue
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, unquote
from urllib.request import Request, urlopen

TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "blockquote", "tg-spoiler", "span"}  # fmt: skip
BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
# A fault the fake can answer a call with instead of handling it: an HTTP status (429, 500,
# 502), "timeout" (no answer for longer than the client waits) or "drop" (the connection is
# closed without an answer). A faulted call is not acted on and not recorded in `calls`, as
# Telegram fails a request before acting on it.
Fault = int | str
FAULTS: tuple[Fault, ...] = (429, 500, 502, "timeout", "drop")
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Newsdesk", "username": "newsdesk_test_bot"}
# Telegram's limit on a bot's messages to one group: 20 in any minute. Past it, Telegram
# answers 429 with the seconds to wait; so does the fake, counting what these methods post.
GROUP_MESSAGES_PER_MINUTE = 20
MESSAGE_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "copyMessage"})


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error = ""
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'Unexpected end tag "{tag}"'
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_telegram_html(text: str) -> tuple[str, str]:
    """(visible text, error) as Telegram's HTML parse mode would see the message."""
    if BARE_AMPERSAND.search(text):
        return "", "Can't find end of the entity starting at an &"
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.stack and not parser.error:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    return "".join(parser.text), parser.error


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_UPDATE_ID_BASES = itertools.count(1, 100_000)


def as_held(params: dict[str, Any]) -> dict[str, Any]:
    """A message the bot sent (its sendMessage parameters), as Telegram holds it under a
    button pressed on it: its chat and its keyboard."""
    chat_id = int(params["chat_id"])
    chat = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
    markup = json.loads(str(params["reply_markup"]))
    return {"message_id": 9000, "date": 0, "chat": chat, "text": "", "reply_markup": markup}


def button_data(message: dict[str, Any]) -> list[str]:
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


def _too_many_requests(seconds: int) -> tuple[int, dict[str, Any]]:
    return 429, {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {seconds}",
        "parameters": {"retry_after": seconds},
    }


class _Server(ThreadingHTTPServer):
    # Many readers at once (bench/concurrency.py) open many connections at once: the default
    # backlog of 5 would reset some, which Telegram's servers never do.
    request_queue_size = 256


# What a ChatMemberAdministrator must carry (python-telegram-bot reads each).
ADMIN_RIGHTS = (
    "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
    "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
    "can_post_stories", "can_edit_stories", "can_delete_stories",
)  # fmt: skip


class FakeBotAPI:
    """Queue updates with push_*; read what the bot did from `calls`."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []
        self.reject_html = False  # answer every HTML message with "can't parse entities"
        self.files: dict[str, bytes] = {}  # file_id -> content, served at base_file_url
        # method -> how many more calls to answer 429 Too Many Requests (retry after 1 s)
        self.flood: dict[str, int] = {}
        self.planned_faults: dict[str, list[Fault]] = {}
        self.fault_rate = 0.0  # the share of calls failed with a fault chosen at random
        self.timeout_fault_seconds = 2.0  # set it longer than the client's timeout
        # every fault answered, in order: (method, fault, time.monotonic() when it was taken)
        self.injected: list[tuple[str, Fault, float]] = []
        self.slow: dict[str, float] = {}  # method -> seconds to wait before handling it
        # Chats that blocked the bot (or removed it): a message to one is answered 403.
        self.blocked: set[int] = set()
        # Per group, its administrators' user ids (getChatMember); anyone else is a member.
        self.chat_admins: dict[int, set[int]] = {}
        self.group_limit: int | None = GROUP_MESSAGES_PER_MINUTE  # None: not enforced
        self._group_posts: dict[int, list[float]] = {}  # group -> when its messages were taken
        # each message refused for the group limit: (chat id, time.monotonic())
        self.group_refused: list[tuple[int, float]] = []
        self._random = random.Random(0)
        self._update_of_message: dict[int, int] = {}
        self._cond = threading.Condition()
        # Telegram never hands a bot the same update_id twice (within days): nor do two fakes
        # in one test run, so a bot restarted against a new fake over the same home (and its
        # journal of handled updates) is not told a new update is an old one.
        self._next_update = next(_UPDATE_ID_BASES)
        self._next_message = 1000
        # Webhook mode, once the bot called setWebhook: (url, secret_token). Updates are then
        # posted there one at a time, in order, as Telegram does, instead of waiting for
        # getUpdates; `webhook_replies` keeps (update_id, HTTP status) of each delivery.
        self.webhook: tuple[str, str] | None = None
        self.webhook_replies: list[tuple[int, int]] = []
        self._deliveries: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/file/bot"

    def start(self) -> FakeBotAPI:
        self._thread.start()
        threading.Thread(target=self._deliver_by_webhook, daemon=True).start()
        return self

    def stop(self) -> None:
        self._deliveries.put(None)
        self._server.shutdown()
        self._server.server_close()

    # --- webhook delivery -----------------------------------------------------------------

    def _queue_update(self, update: dict[str, Any]) -> None:
        """For getUpdates, or posted to the webhook once one is set (call with _cond held)."""
        if self.webhook is None:
            self.updates.append(update)
        else:
            self._deliveries.put(update)
        self._cond.notify_all()

    def _set_webhook(self, params: dict[str, Any]) -> None:
        with self._cond:
            self.webhook = (str(params["url"]), str(params.get("secret_token") or ""))
            waiting, self.updates = self.updates, []
            for update in waiting:
                self._deliveries.put(update)

    def post_to_webhook(
        self, body: bytes, secret: str | None, *, path: str | None = None
    ) -> tuple[int, bytes]:
        """POST `body` to the bot's webhook (or another `path` on its server) with `secret`
        as the secret token header (none if None): (status, response body)."""
        assert self.webhook is not None, "the bot has not set a webhook"
        url = self.webhook[0]
        if path is not None:
            url = url[: url.index("/", len("http://"))] + path
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        try:
            with urlopen(Request(url, data=body, headers=headers), timeout=30) as response:
                return int(response.status), bytes(response.read())
        except HTTPError as error:
            return int(error.code), bytes(error.read())

    def _deliver_by_webhook(self) -> None:
        while (update := self._deliveries.get()) is not None:
            assert self.webhook is not None
            status = 0
            for _ in range(20):  # Telegram retries an update the bot didn't take
                try:
                    status, _ = self.post_to_webhook(json.dumps(update).encode(), self.webhook[1])
                except (URLError, OSError):
                    status = 0
                if status == 200:
                    break
                time.sleep(0.25)
            with self._cond:
                self.webhook_replies.append((int(update["update_id"]), status))
                self._cond.notify_all()

    # --- what a user does -------------------------------------------------------------------

    def push_message(
        self,
        text: str | None,
        *,
        extra: dict[str, Any] | None = None,
        chat_id: int = 111,
        chat_type: str = "private",
        user_id: int = 111,
        entities: list[dict[str, Any]] | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Reader"
        else:
            chat["title"] = "Newsroom"
        if entities is None and text and text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        message: dict[str, Any] = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Reader"},
            **({"text": text} if text is not None else {}),
            **(extra or {}),
        }
        if entities:
            message["entities"] = entities
        if reply_to:
            message["reply_to_message"] = reply_to
        with self._cond:
            self._queue_update({"update_id": self._next_update, "message": message})
            self._update_of_message[message["message_id"]] = self._next_update
            self._next_update += 1
        return message

    def push_mention(self, question: str, *, chat_id: int, user_id: int) -> dict[str, Any]:
        """A group message addressed to the bot by @mention."""
        mention = f"@{BOT_USER['username']}"
        entity = {"type": "mention", "offset": 0, "length": len(mention)}
        return self.push_message(f"{mention} {question}", chat_id=chat_id, chat_type="group",
                                 user_id=user_id, entities=[entity])  # fmt: skip

    def replies_to(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """The messages the fake accepted in `message`'s chat as replies to it."""
        return [
            params
            for params in self.sent(chat_id=message["chat"]["id"])
            if params.get("_status") == 200
            and json.loads(str(params.get("reply_parameters") or "{}")).get("message_id")
            == message["message_id"]
        ]

    def push_update(self, update: dict[str, Any]) -> int:
        """Any update as it is, malformed or not (Telegram's own never are): its update_id is
        the next one, unless it carries its own."""
        with self._cond:
            update_id = int(update.get("update_id", self._next_update))
            self._queue_update({"update_id": update_id, **update})
            self._next_update = max(self._next_update, update_id) + 1
        return update_id

    def redeliver(self, message: dict[str, Any]) -> None:
        """Deliver a message's update again, as Telegram does when the bot didn't
        acknowledge it (here under its old update_id, whatever was acknowledged)."""
        with self._cond:
            update_id = self._update_of_message[message["message_id"]]
            self._queue_update({"update_id": update_id, "message": message})

    def push_document(
        self, file_name: str, content: bytes, *, user_id: int = 111, mime_type: str = ""
    ) -> dict[str, Any]:
        """A private message carrying a file, as when a user sends a document."""
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type or "application/octet-stream",
            "file_size": len(content),
        }
        return self.push_message(
            None, extra={"document": document}, chat_id=user_id, user_id=user_id
        )

    def push_voice(
        self,
        content: bytes,
        *,
        kind: str = "voice",
        duration: int = 3,
        file_size: int | None = None,
        chat_id: int = 111,
        user_id: int = 111,
        chat_type: str = "private",
        extra: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A recording as Telegram delivers it: `kind` "voice" (Ogg Opus), "audio" (an MP3
        file) or "video_note", its bytes served by getFile; `file_size` is what the message
        says of its size (default: the true one)."""
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = content
        media: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": duration,
            "file_size": len(content) if file_size is None else file_size,
        }
        if kind == "voice":
            media["mime_type"] = "audio/ogg"
        elif kind == "audio":
            media.update(mime_type="audio/mpeg", file_name="question.mp3", title="Question")
        elif kind == "video_note":
            media["length"] = 240
        return self.push_message(
            None,
            extra={kind: media, **(extra or {})},
            chat_id=chat_id,
            chat_type=chat_type,
            user_id=user_id,
            reply_to=reply_to,
        )

    def push_callback(self, data: str, message: dict[str, Any], *, user_id: int = 111) -> None:
        """A press on an inline button under `message` (as the bot sent it)."""
        query = {
            "id": f"cb{self._next_update}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Reader"},
            "chat_instance": "ci",
            "message": message,
            "data": data,
        }
        with self._cond:
            self._queue_update({"update_id": self._next_update, "callback_query": query})
            self._next_update += 1

    # --- what Telegram does wrong ---------------------------------------------------------

    def fail(self, method: str, fault: Fault, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `fault` instead of handling them."""
        with self._cond:
            self.planned_faults.setdefault(method, []).extend([fault] * times)

    def fail_at_random(self, rate: float, seed: int = 0) -> None:
        """From now on fail this share of all calls, each with one of FAULTS at random."""
        with self._cond:
            self.fault_rate = rate
            self._random = random.Random(seed)

    def _take_fault(self, method: str) -> Fault | None:
        with self._cond:
            planned = self.planned_faults.get(method)
            if planned:
                fault: Fault | None = planned.pop(0)
            elif self.fault_rate and self._random.random() < self.fault_rate:
                fault = self._random.choice(FAULTS)
            else:
                fault = None
            if fault is not None:
                self.injected.append((method, fault, time.monotonic()))
            return fault

    # --- what the bot did -------------------------------------------------------------------

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [
                params
                for name, params in self.calls
                if name == method
                and (chat_id is None or str(params.get("chat_id")) == str(chat_id))
            ]

    def delivered(self, chat_id: int = 111) -> list[str]:
        """The texts of the messages the fake accepted (a reader would see) in the chat."""
        return [str(p["text"]) for p in self.sent(chat_id=chat_id) if p.get("_status") == 200]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; calls so far: {[c[0] for c in self.calls]}")
                self._cond.wait(min(left, 0.5))

    # --- the HTTP side ----------------------------------------------------------------------

    def _new_message_id(self) -> int:
        self._next_message += 1
        return self._next_message

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        params["_received"] = time.monotonic()
        with self._cond:
            self.calls.append((method, params))
            self._cond.notify_all()
            if self.flood.get(method, 0) > 0:
                self.flood[method] -= 1
                return _too_many_requests(1)
            if method in MESSAGE_METHODS and int(params.get("chat_id") or 0) in self.blocked:
                return 403, {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                }
            if wait := self._group_wait(method, params):
                self.group_refused.append((int(params["chat_id"]), params["_received"]))
                return _too_many_requests(wait)
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method == "setWebhook":
            self._set_webhook(params)
        if method == "sendMessage":
            return self._send_message(params)
        if method == "sendMessageDraft":
            return self._send_message_draft(params)
        if method == "editMessageText":
            return self._send_message(params)  # checked like a message; the id is new
        if method == "getChatMember":
            return 200, {"ok": True, "result": self._chat_member(params)}
        if method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: no file"}
            return 200, {
                "ok": True,
                "result": {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "file_size": len(self.files[file_id]),
                    "file_path": f"documents/{file_id}",
                },
            }
        return 200, {"ok": True, "result": True}

    def _chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        admin = user_id in self.chat_admins.get(chat_id, set())
        user = {"id": user_id, "is_bot": False, "first_name": "Reader"}
        if admin:
            return {"status": "administrator", "user": user, "can_be_edited": False,
                    **dict.fromkeys(ADMIN_RIGHTS, True)}  # fmt: skip
        return {"status": "member", "user": user}

    def _group_wait(self, method: str, params: dict[str, Any]) -> int:
        """0 and the message is counted, or the whole seconds until the group may have one
        more (call with _cond held)."""
        chat_id = int(params.get("chat_id") or 0)
        if method not in MESSAGE_METHODS or chat_id >= 0 or self.group_limit is None:
            return 0
        now = float(params["_received"])
        posts = [t for t in self._group_posts.get(chat_id, []) if now - t < 60.0]
        self._group_posts[chat_id] = posts
        if len(posts) >= self.group_limit:
            return max(1, math.ceil(60.0 - (now - posts[0])))
        posts.append(now)
        return 0

    def _send_message(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = str(params.get("text", ""))
        visible = text
        if params.get("parse_mode") == "HTML":
            visible, error = parse_telegram_html(text)
            if self.reject_html:
                error = error or 'Unsupported start tag "b"'
            if error:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": f"Bad Request: can't parse entities: {error}",
                }
        if not visible.strip():
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
        if utf16_length(visible) > 4096:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message is too long",
            }
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
            "text": html.unescape(visible),
        }
        if params.get("reply_markup"):
            markup = params["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return 200, {"ok": True, "result": message}

    def _send_message_draft(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """As Telegram: private chats only, a non-zero draft id, text that fits."""
        if int(params["chat_id"]) <= 0:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: drafts can be sent to private chats only",
            }
        if not int(params.get("draft_id") or 0):
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: draft_id must be non-zero",
            }
        if utf16_length(str(params.get("text") or "")) > 4096:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: text is too long",
            }
        return 200, {"ok": True, "result": True}  # fmt: skip

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 1.0)
        deadline = time.monotonic() + wait
        with self._cond:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self.updates)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    self._reply(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                params: dict[str, Any]
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(body or "{}")
                else:
                    params = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
                method = self.path[len(prefix) :]
                fault = fake._take_fault(method)
                if fault is not None:
                    self._fault(fault)
                    return
                time.sleep(fake.slow.get(method, 0.0))
                status, payload = fake._answer(method, params)
                with fake._cond:
                    params["_status"] = status
                    fake._cond.notify_all()
                self._reply(status, payload)

            def _fault(self, fault: Fault) -> None:
                if isinstance(fault, int):
                    description = "Too Many Requests: retry after 1" if fault == 429 else "Error"
                    payload: dict[str, Any] = {
                        "ok": False,
                        "error_code": fault,
                        "description": description,
                    }
                    if fault == 429:
                        payload["parameters"] = {"retry_after": 1}
                    self._reply(fault, payload)
                    return
                if fault == "timeout":
                    time.sleep(fake.timeout_fault_seconds)
                # Close without a word; the handler writes nothing after this.
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def do_GET(self) -> None:
                prefix = f"/file/bot{fake.token}/documents/"
                path = unquote(self.path)
                content = fake.files.get(path[len(prefix) :])
                if not path.startswith(prefix) or content is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # the bot may stop while a long poll is open
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output quiet

        return Handler
