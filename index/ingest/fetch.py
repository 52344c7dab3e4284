"""Fetching pages and feeds from the web, with the checks a server-side fetcher needs.

Anyone who can make the bot fetch a URL (an admin pasting a link, a feed entry pointing
anywhere) could otherwise make it read from the machine's own network: cloud metadata
endpoints, admin panels on loopback, other hosts on the LAN. So only http and https are
fetched, every address the host name resolves to is checked against private, loopback,
link-local and other non-public ranges, every redirect is checked again before it is followed,
the content type must be one we can read, and time and size are capped.

Left alone: DNS rebinding between our check and httpx's own lookup. Closing it means pinning
the checked address in the connection, which breaks TLS name checks on some setups; the
checks here stop the common cases (a link or redirect to an internal address).
"""

from __future__ import annotations

import ipaddress
import socket
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


@dataclass(frozen=True)
class FetchPolicy:
    timeout_seconds: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    allow_private: bool = False
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    body: bytes


def check_url(url: str, policy: FetchPolicy) -> None:
    """Raise FetchError unless the URL is http(s) and its host resolves only to addresses the
    policy allows."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        shown = parts.scheme or "none"
        raise FetchError(f"only http and https URLs can be fetched (this one's scheme: {shown})")
    host = parts.hostname
    if not host:
        raise FetchError("the URL has no host name")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise FetchError(f"could not resolve host {host!r} ({error})") from error
    if policy.allow_private:
        return
    for address in sorted(addresses):
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise FetchError(
                f"{host} resolves to {ip}, a private, loopback or link-local address; "
                "set NEWSDESK_ALLOW_PRIVATE_URLS=true to fetch from such addresses"
            )


def fetch(url: str, accept: tuple[str, ...], policy: FetchPolicy) -> Fetched:
    """GET the URL following up to `max_redirects` checked redirects; the final response must
    be 200 with one of the `accept` content types and at most `max_bytes` long."""
    headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(accept) + ", */*;q=0.1"}
    try:
        with httpx.Client(
            timeout=policy.timeout_seconds, follow_redirects=False, headers=headers
        ) as client:
            for _ in range(policy.max_redirects + 1):
                check_url(url, policy)
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    return _read(url, response, accept, policy)
    except httpx.TimeoutException as error:
        raise FetchError(f"timed out after {policy.timeout_seconds:g} s") from error
    except httpx.HTTPError as error:
        raise FetchError(f"could not fetch ({type(error).__name__}: {error})") from error
    raise FetchError(f"more than {policy.max_redirects} redirects")


def _read(
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
    for piece in response.iter_bytes():
        body += piece
        if len(body) > policy.max_bytes:
            raise FetchError(_too_large(len(body), policy))
    return Fetched(url=url, body=bytes(body))


def _too_large(size: int, policy: FetchPolicy) -> str:
    return f"too large (over {policy.max_bytes / 1e6:g} MB; {size / 1e6:.1f} MB or more)"
