"""Fetching pages and feeds from the web, with the checks a server-side fetcher needs.

Anyone who can make the bot fetch a URL (an admin pasting a link, a feed entry pointing
anywhere) could otherwise make it read from the machine's own network: cloud metadata
endpoints, admin panels on loopback, other hosts on the LAN. So only http and https are
fetched, every address the host name resolves to is checked against private, loopback,
link-local and other non-public ranges, every redirect is checked again before it is followed,
the content type must be one we can read, and time and size are capped.

The connection goes to the very address that was checked: the URL is rewritten to it, with
the Host header and TLS server name (SNI, and so the certificate check) kept as the host name,
so a name that resolves to a public address for the check and to a private one a moment later
(DNS rebinding) can't reach the private one. The time limit bounds the whole fetch, redirects
included, not each read, so a server that trickles bytes is cut off on time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from index.errors import NewsdeskError

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)
USER_AGENT = "newsdesk/0.1 (news question-answering bot)"


class FetchError(NewsdeskError):
    """A URL that was refused or could not be fetched; the message says why."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host name resolves to, in the resolver's order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# The one place a host name becomes addresses: tests put a resolver of their own here.
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchPolicy:
    timeout_seconds: float = 20.0  # for the whole fetch: connect, headers, body, redirects
    max_bytes: int = 10 * 1024 * 1024
    allow_private: bool = False
    max_redirects: int = 5
    resolve: Resolver = resolve_host


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    body: bytes


def check_url(url: str, policy: FetchPolicy) -> str:
    """The address to connect to for the URL; FetchError unless the URL is http(s) and its
    host resolves only to addresses the policy allows."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        shown = parts.scheme or "none"
        raise FetchError(f"only http and https URLs can be fetched (this one's scheme: {shown})")
    host = parts.hostname
    if not host:
        raise FetchError("the URL has no host name")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = policy.resolve(host, port)
    except (OSError, UnicodeError, ValueError) as error:
        raise FetchError(f"could not resolve host {host!r} ({error})") from error
    if not addresses:
        raise FetchError(f"could not resolve host {host!r} (no addresses)")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not policy.allow_private and (not ip.is_global or ip.is_multicast):
            raise FetchError(
                f"{host} resolves to {ip}, a private, loopback or link-local address; "
                "set NEWSDESK_ALLOW_PRIVATE_URLS=true to fetch from such addresses"
            )
    return addresses[0]


def fetch(
    url: str,
    accept: tuple[str, ...],
    policy: FetchPolicy,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Fetched:
    """GET the URL following up to `max_redirects` checked redirects; the final response must
    be 200 with one of the `accept` content types and at most `max_bytes` long, and all of it
    must arrive within `timeout_seconds`. `transport`: where connections go (tests only)."""
    try:
        return asyncio.run(_fetch_within_time(url, accept, policy, transport))
    except (TimeoutError, httpx.TimeoutException) as error:
        raise FetchError(f"timed out after {policy.timeout_seconds:g} s") from error
    except httpx.HTTPError as error:
        raise FetchError(f"could not fetch ({type(error).__name__}: {error})") from error


async def _fetch_within_time(
    url: str,
    accept: tuple[str, ...],
    policy: FetchPolicy,
    transport: httpx.AsyncBaseTransport | None,
) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(accept) + ", */*;q=0.1"}
    async with (
        asyncio.timeout(policy.timeout_seconds),
        httpx.AsyncClient(
            timeout=policy.timeout_seconds,
            follow_redirects=False,
            headers=headers,
            transport=transport,
        ) as client,
    ):
        for _ in range(policy.max_redirects + 1):
            # Resolving blocks the loop and so is outside the time limit, like the OS resolver's
            # own timeout; a resolver thread wouldn't help, as asyncio.run waits for it anyway.
            address = check_url(url, policy)
            response = await client.send(pinned_request(client, url, address), stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                return await _read(url, response, accept, policy)
            finally:
                await response.aclose()
    raise FetchError(f"more than {policy.max_redirects} redirects")


def pinned_request(client: httpx.AsyncClient, url: str, address: str) -> httpx.Request:
    """A GET of `url` that connects to `address`, while the server sees the host name as
    Host and, over TLS, as the server name its certificate is checked against."""
    original = httpx.URL(url)
    extensions = (
        {"sni_hostname": original.raw_host.decode("ascii")} if original.scheme == "https" else {}
    )
    return client.build_request(
        "GET",
        original.copy_with(host=address),
        headers={"Host": original.netloc.decode("ascii")},
        extensions=extensions,
    )


async def _read(
    url: str, response: httpx.Response, accept: tuple[str, ...], policy: FetchPolicy
) -> Fetched:
    if response.status_code != 200:
        raise FetchError(f"the server answered HTTP {response.status_code}")
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in accept:
        wanted = ", ".join(accept)
        raise FetchError(f"content type {content_type or 'missing'!r} is not one of: {wanted}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchError(_too_large(int(declared), policy))
    body = bytearray()
    async for piece in response.aiter_bytes():
        body += piece
        if len(body) > policy.max_bytes:
            raise FetchError(_too_large(len(body), policy))
    return Fetched(url=url, body=bytes(body))


def _too_large(size: int, policy: FetchPolicy) -> str:
    return f"too large (over {policy.max_bytes / 1e6:g} MB; {size / 1e6:.1f} MB or more)"
