"""Sending one signed request to a store's URL without letting the URL reach into our own network.

The rules (docs/webhooks.md, "SSRF"): http and https only; no user name or password in the URL; the
host is resolved here and every address it resolves to must be public (not loopback, private,
link-local, multicast, reserved, unspecified, shared or a cloud metadata address) unless the host is
on the admins' allow-list; the connection goes to the address that was checked, so a second DNS answer
cannot swap in another one (DNS rebinding); redirects are never followed.

No Django here: callers pass the allow-list in.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

TIMEOUT_SECONDS = 10.0
# What the delivery log keeps of a response: enough to read an error message, no more.
EXCERPT_BYTES = 500
MAX_URL_LENGTH = 2000
# Addresses cloud providers serve instance credentials on; link-local or private anyway, named here
# so the refusal says what they are.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[[str, int], list[str]]


class UnsafeURL(ValueError):
    """The URL may not be called: a bad scheme, no host, or a host that resolves somewhere forbidden."""


@dataclass(frozen=True)
class Target:
    """A URL checked for sending: where to connect (the address that passed) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Response:
    """What one attempt came to: a status code, or an error, and how long it took."""

    status: int | None
    duration_ms: int
    error: str = ""
    excerpt: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# Tests replace this to give names an answer without a DNS server.
resolve: Resolver = system_resolver


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # An IPv6 address that carries an IPv4 one reaches that IPv4 host: judge it by that address.
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: IPAddress) -> str:
    """Why a request to this address is refused, or "" when it is a public address."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = forbidden_reason(embedded)
            return f"{reason} (inside an IPv6 address)" if reason else ""
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:
        # Shared address space (100.64.0.0/10, carrier NAT) and other ranges that are not private
        # in name but are not the public internet either.
        return "not a public address"
    return ""


def _normal_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return host


def host_allowed(host: str, allowed_hosts: Collection[str]) -> bool:
    """Whether the admins allowed this host by name or address (exact match, case-insensitive)."""
    wanted = _normal_host(host)
    return any(_normal_host(item) == wanted for item in allowed_hosts if item.strip())


def parse_url(url: str) -> tuple[str, str, int, str]:
    """scheme, host, port and request path of an http(s) URL, or UnsafeURL saying what is wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        raise UnsafeURL("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeURL(f"the URL cannot be read: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise UnsafeURL("only http:// and https:// URLs can receive webhooks")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("put no user name or password in the URL; the signature authenticates us")
    host = parts.hostname or ""
    if not host:
        raise UnsafeURL("the URL has no host")
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UnsafeURL("the host name is not a valid domain name") from None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


def check_url(url: str, *, allowed_hosts: Collection[str], resolver: Resolver | None = None) -> Target:
    """Resolve the URL's host and return where to connect, or raise UnsafeURL.

    Every address the host resolves to must pass, not just the first: otherwise a name with one
    public and one private address would reach the private one whenever the order changes.
    """
    scheme, host, port, path = parse_url(url)
    allowed = host_allowed(host, allowed_hosts)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = (resolver or resolve)(host, port)
        except (OSError, UnicodeError) as error:
            raise UnsafeURL(f"{host} does not resolve: {getattr(error, 'strerror', None) or error}") from None
        if not addresses:
            raise UnsafeURL(f"{host} does not resolve")
    if not allowed:
        for text in addresses:
            reason = forbidden_reason(ipaddress.ip_address(text.split("%", 1)[0]))
            if reason:
                where = host if literal is not None else f"{host} resolves to {text}, which"
                raise UnsafeURL(
                    f"{where} is {reason}; an admin may allow this host in RAPPORT_WEBHOOK_ALLOWED_HOSTS"
                )
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address while the Host header names the URL's host."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address; the certificate must still match the URL's host name (SNI too)."""

    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._address = target.address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(
    target: Target,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float = TIMEOUT_SECONDS,
    tls_context: ssl.SSLContext | None = None,
) -> Response:
    """POST the body once. Never raises for what the network or the receiver does: it is the result."""
    started = time.monotonic()
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout, tls_context or ssl.create_default_context())
    else:
        connection = _PinnedHTTPConnection(target, timeout)

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        connection.request("POST", target.path, body=body, headers=headers)
        reply = connection.getresponse()
        excerpt = reply.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        status = reply.status
        error = ""
        if 300 <= status < 400:
            location = reply.getheader("Location", "")
            error = f"redirect to {location[:200] or '(no Location)'} not followed; give the final URL"
        elif not 200 <= status < 300:
            error = f"HTTP {status} {reply.reason}".strip()
        return Response(status=status, duration_ms=elapsed(), error=error, excerpt=excerpt.strip())
    except TimeoutError:
        return Response(status=None, duration_ms=elapsed(), error=f"no answer within {timeout:g} s")
    except ssl.SSLError as exc:
        return Response(status=None, duration_ms=elapsed(), error=f"TLS failed: {exc.reason or exc}")
    except ConnectionRefusedError:
        return Response(status=None, duration_ms=elapsed(), error="connection refused")
    except (OSError, http.client.HTTPException) as exc:
        return Response(status=None, duration_ms=elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        connection.close()
