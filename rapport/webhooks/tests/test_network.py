"""SSRF rules: which URLs and addresses a webhook may reach, and what is refused with which reason."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.webhooks.network import UnsafeURL, check_url, forbidden_reason, host_allowed, parse_url

# Ranges that must never be reached unless allow-listed, one address drawn from each.
FORBIDDEN_NETWORKS = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
]
# Public ranges well inside the internet's unicast space.
PUBLIC_NETWORKS = ["8.0.0.0/8", "93.184.0.0/16", "151.101.0.0/16", "2606:4700::/32", "2a00:1450::/32"]


def addresses_in(cidr: str) -> st.SearchStrategy[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    network = ipaddress.ip_network(cidr)
    return st.integers(min_value=0, max_value=network.num_addresses - 1).map(lambda offset: network[offset])


forbidden = st.sampled_from(FORBIDDEN_NETWORKS).flatmap(addresses_in)
public = st.sampled_from(PUBLIC_NETWORKS).flatmap(addresses_in)


@given(forbidden)
def test_no_address_of_a_forbidden_range_passes(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    assert forbidden_reason(address) != ""


@given(forbidden.filter(lambda a: a.version == 4))
def test_an_ipv4_address_hidden_in_ipv6_is_judged_as_itself(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(address))
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80))

    assert forbidden_reason(mapped) != ""
    assert forbidden_reason(nat64) != ""
    assert forbidden_reason(sixtofour) != ""


@given(public)
def test_public_addresses_pass(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    assert forbidden_reason(address) == ""


@given(forbidden)
def test_a_url_with_a_forbidden_address_is_refused_and_allowed_only_by_name(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    url = f"http://{host}:8080/hooks"

    with pytest.raises(UnsafeURL, match="RAPPORT_WEBHOOK_ALLOWED_HOSTS"):
        check_url(url, allowed_hosts=[])
    target = check_url(url, allowed_hosts=[str(address)])

    assert ipaddress.ip_address(target.address) == address
    assert target.port == 8080


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("127.0.0.1", "a loopback address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 - the address under test
        ("10.1.2.3", "a private address"),
        ("169.254.1.1", "a link-local address"),
        ("239.1.1.1", "a multicast address"),
        ("100.64.0.1", "not a public address"),
    ],
)
def test_each_refusal_names_what_the_address_is(address: str, reason: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://store.example.com/x", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("gopher://store.example.com/", "only http:// and https://"),
        ("https://user:pw@store.example.com/", "no user name or password"),
        ("https:///path", "no host"),
        ("https://store.example.com/a b", "spaces or control characters"),
        ("https://store.example.com:99999/", "cannot be read"),
        ("https://nowhere.invalid/", "does not resolve"),
        ("https://store.internal/hooks", "store.internal resolves to 10.0.0.5, which is a private address"),
        ("https://localhost:8000/", "localhost resolves to 127.0.0.1, which is a loopback address"),
        ("http://metadata.example.com/", "a cloud metadata address"),
        ("https://mixed.example.com/", "resolves to 192.168.1.10"),
        ("http://[::ffff:127.0.0.1]/", "a loopback address (inside an IPv6 address)"),
    ],
)
def test_unsafe_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(UnsafeURL, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        check_url(url, allowed_hosts=["127.0.0.1"])


def test_a_public_host_resolves_to_the_address_that_will_be_connected() -> None:
    target = check_url("https://store.example.com/hooks/rapport?shop=1", allowed_hosts=[])

    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https",
        "store.example.com",
        443,
        "/hooks/rapport?shop=1",
        "93.184.216.34",
    )


def test_an_allow_listed_name_may_resolve_to_a_private_address() -> None:
    target = check_url("http://store.internal:8080/", allowed_hosts=["Store.Internal"])

    assert target.address == "10.0.0.5"


def test_allowing_an_address_does_not_allow_a_name_that_resolves_to_it() -> None:
    with pytest.raises(UnsafeURL, match=r"localhost resolves to 127\.0\.0\.1"):
        check_url("http://localhost/", allowed_hosts=["127.0.0.1"])


@pytest.mark.parametrize(
    ("host", "allowed", "expected"),
    [
        ("127.0.0.1", ["127.0.0.1"], True),
        ("::1", ["[::1]"], True),
        ("0:0::1", ["::1"], True),
        ("STORE.internal.", ["store.internal"], True),
        ("store.internal.evil.com", ["store.internal"], False),
        ("127.0.0.2", ["127.0.0.1"], False),
        ("anything", ["", " "], False),
    ],
)
def test_allow_list_matches_exact_hosts(host: str, allowed: list[str], expected: bool) -> None:
    assert host_allowed(host, allowed) is expected


def test_default_ports_and_paths() -> None:
    assert parse_url("http://store.example.com") == ("http", "store.example.com", 80, "/")
    assert parse_url("HTTPS://store.example.com/x") == ("https", "store.example.com", 443, "/x")
