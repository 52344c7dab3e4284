"""Fetching pages: only http(s), no private addresses unless allowed, redirects re-checked,
content types, time and size capped. Served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from index.articles import Article, LoadProblem
from index.ingest.fetch import HTML_TYPES, FetchError, FetchPolicy, check_url, fetch
from index.ingest.web import load_url
from tests.support.web_server import Page, WebServer, news_page

LOCAL = FetchPolicy(allow_private=True, timeout_seconds=5)
STORY = (
    "Iraqi forces retook the western half of the city after a long siege.\n\n"
    "Commanders said the militia known as the PMU controls the town of Qairawan."
)


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer().start()
    yield server
    server.stop()


def test_a_page_is_fetched_and_its_main_text_extracted(web: WebServer) -> None:
    hostile = STORY + "\n\n<script>alert(1)</script> Tom &amp; Jerry <b>bold</b> claim."
    url = web.add("/news/story", Page(news_page("Siege ends", hostile)))
    article = load_url(url, LOCAL)
    assert isinstance(article, Article)
    assert (article.key, article.origin, article.title) == (url, url, "Siege ends")
    assert article.published == "2017-05-26" and "controls the town of Qairawan" in article.text
    assert "alert(1)" not in article.text and "Home | World" not in article.text


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/file.txt", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http:///path-only", "no host name"),
        ("http://127.0.0.1:9/", "NEWSDESK_ALLOW_PRIVATE_URLS"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://[::1]/", "loopback"),
        ("http://0.0.0.0/", "private"),
        ("http://no-such-host.invalid/", "could not resolve"),
    ],
)
def test_urls_that_must_not_be_fetched_are_refused(url: str, reason: str) -> None:
    with pytest.raises(FetchError, match=reason):
        check_url(url, FetchPolicy())


def test_loopback_pages_are_refused_by_default_and_named_in_the_problem(web: WebServer) -> None:
    url = web.add("/news/story", Page(news_page("Siege ends", STORY)))
    problem = load_url(url, FetchPolicy())
    assert isinstance(problem, LoadProblem)
    assert problem.where == url and "NEWSDESK_ALLOW_PRIVATE_URLS" in problem.reason
    assert web.requests == []


def test_every_redirect_is_checked_again(web: WebServer) -> None:
    final = web.add("/final", Page(news_page("Siege ends", STORY)))
    web.add("/moved", Page(status=301, headers={"Location": "/final"}))
    assert fetch(web.url("/moved"), HTML_TYPES, LOCAL).url == final
    web.add("/sneaky", Page(status=302, headers={"Location": "file:///etc/passwd"}))
    with pytest.raises(FetchError, match="only http and https"):
        fetch(web.url("/sneaky"), HTML_TYPES, LOCAL)
    web.add("/loop", Page(status=302, headers={"Location": "/loop"}))
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(web.url("/loop"), HTML_TYPES, LOCAL)


@pytest.mark.parametrize(
    ("page", "policy", "reason"),
    [
        (Page(b"\x89PNG", "image/png"), LOCAL, "content type 'image/png'"),
        (Page(b"gone", status=404), LOCAL, "HTTP 404"),
        (Page(b"x" * 5000), FetchPolicy(allow_private=True, max_bytes=1000), "too large"),
        (
            Page(b"x" * 5000, send_length=False),
            FetchPolicy(allow_private=True, max_bytes=1000),
            "too large",
        ),
        (
            Page(b"<p>slow</p>", delay=2.0),
            FetchPolicy(allow_private=True, timeout_seconds=0.3),
            "timed out",
        ),
    ],
)
def test_bad_responses_are_refused_with_the_reason(
    web: WebServer, page: Page, policy: FetchPolicy, reason: str
) -> None:
    url = web.add("/page", page)
    problem = load_url(url, policy)
    assert isinstance(problem, LoadProblem) and reason in problem.reason


def test_a_page_without_article_text_is_a_problem(web: WebServer) -> None:
    url = web.add("/empty", Page(b"<html><body><nav>menu</nav></body></html>"))
    problem = load_url(url, LOCAL)
    assert isinstance(problem, LoadProblem) and "no article text" in problem.reason


def test_the_time_limit_bounds_the_whole_fetch_of_a_trickling_page(web: WebServer) -> None:
    # 60 bytes, one every 0.1 s: no single read waits long, but the whole takes 6 s.
    url = web.add("/trickle", Page(b"<p>" + b"x" * 54 + b"</p>", trickle=0.1))
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out after 2 s"):
        fetch(url, HTML_TYPES, FetchPolicy(allow_private=True, timeout_seconds=2))
    assert time.monotonic() - started < 3.5  # the limit plus a second, and some slack


def test_the_time_limit_covers_redirects_together(web: WebServer) -> None:
    web.add("/final", Page(b"<p>" + b"x" * 23 + b"</p>", trickle=0.1))  # 3 s to read
    web.add("/hop", Page(status=302, headers={"Location": "/final"}, delay=1.0))
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        fetch(web.url("/hop"), HTML_TYPES, FetchPolicy(allow_private=True, timeout_seconds=2.5))
    assert time.monotonic() - started < 4.5


class RebindingResolver:
    """DNS that answers a public address first and loopback after: a rebinding attack."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return [PUBLIC] if len(self.asked) == 1 else ["127.0.0.1"]


PUBLIC = "93.184.216.34"


def test_the_connection_goes_to_the_checked_address_not_a_rebound_one() -> None:
    """The public 'server' is a fake transport (nothing leaves the machine). It redirects to
    its own name, which now resolves to loopback: that hop is checked again and refused."""
    seen: list[httpx.Request] = []

    def public_server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "/next"})

    resolver = RebindingResolver()
    policy = FetchPolicy(resolve=resolver, timeout_seconds=5)
    with pytest.raises(FetchError, match=r"resolves to 127\.0\.0\.1"):
        fetch(
            "https://news.example/story",
            HTML_TYPES,
            policy,
            transport=httpx.MockTransport(public_server),
        )
    (request,) = seen  # the loopback hop was never requested
    assert request.url.host == PUBLIC and request.headers["Host"] == "news.example"
    assert request.extensions["sni_hostname"] == "news.example"
    assert resolver.asked == ["news.example", "news.example"]  # once per hop, checked each time
