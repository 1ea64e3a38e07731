"""Webhooks: the URL rules, the signature, and one POST that cannot reach a private network.

Server-side request forgery (OWASP SSRF Prevention Cheat Sheet): the URL is the user's, so
- only ``http``/``https``, no user-info, a host name or address, at most 2048 characters;
- every address the host resolves to must be public (not loopback, private, link-local,
  CGNAT, multicast, reserved or unspecified) unless WEBHOOK_ALLOW_PRIVATE is on; the request
  then goes to the address that was checked (the name is not resolved a second time, so a
  DNS answer that changes in between cannot smuggle in a private address), with the name
  kept as the Host header and for TLS (SNI and certificate check);
- redirects are not followed; the answer's body is not read; short timeouts.

Signature: ``X-PT-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`` with
``X-PT-Timestamp: <unix seconds>``, so a receiver can check both the body and its age.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

SIGNATURE_HEADER = "X-PT-Signature"
TIMESTAMP_HEADER = "X-PT-Timestamp"
DELIVERY_HEADER = "X-PT-Delivery"
MAX_URL_LENGTH = 2048

# Not public although ipaddress may not say so on every Python version.
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class WebhookRefused(Exception):
    """The URL may not be called (its rules or its addresses); never retried."""


def check_url(url: str) -> str:
    """The URL as it will be called, or ValueError saying why it is refused (scheme,
    user-info, host). Addresses are checked when sending (`resolve_public`)."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError("is not a valid URL") from exc
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with https:// (or http://)")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    if not parts.hostname:
        raise ValueError("must name a host")
    if port == 0:
        raise ValueError("must not use port 0")
    if any(ch.isspace() for ch in url.strip()):
        raise ValueError("must not contain spaces")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is on the public internet (a webhook may go there)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 4 and address in _SHARED:
        return False
    return address.is_global and not address.is_multicast


def resolve_public(host: str, port: int, allow_private: bool) -> str:
    """The first address ``host`` resolves to, after checking every one of them is public
    (or ``allow_private``). Raises WebhookRefused for a non-public one, OSError when the
    name does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise OSError(f"{host} has no address")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise WebhookRefused(
                    f"{host} resolves to {address}, not a public address "
                    "(WEBHOOK_ALLOW_PRIVATE is off)"
                )
    return str(addresses[0])


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of
    ``b"<timestamp>." + body`` keyed with the user's secret."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class WebhookCall:
    url: str
    secret: str
    body: bytes
    delivery_id: int
    timestamp: int


def post(call: WebhookCall, timeout: float, allow_private: bool) -> int:
    """POST the body once; the status code of a 2xx answer. Raises WebhookRefused (never
    retried), or httpx.HTTPError/OSError/RuntimeError for a failure worth retrying (an
    answer other than 2xx is a RuntimeError naming its status)."""
    parts = urlsplit(call.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_public(host, port, allow_private)
    netloc = f"[{address}]" if ":" in address else address
    if parts.port is not None:
        netloc += f":{parts.port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "portfolio-tracker-webhook/1",
        "Host": parts.netloc.rsplit("@", 1)[-1],
        TIMESTAMP_HEADER: str(call.timestamp),
        SIGNATURE_HEADER: sign(call.secret, call.timestamp, call.body),
        DELIVERY_HEADER: str(call.delivery_id),
    }
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST",
            target,
            content=call.body,
            headers=headers,
            extensions={"sni_hostname": host} if parts.scheme == "https" else {},
        )
        response = client.send(request, stream=True)
        response.close()
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"webhook answered HTTP {response.status_code}")
    return response.status_code
