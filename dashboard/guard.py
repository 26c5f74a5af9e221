"""Who may reach the server at all: the Host-header check (DNS rebinding) and the start-up
refusals (a public address or a trusted proxy while the data file has no users)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from layers.users import has_users

#: The answer to a Host header this server does not serve (plain text, both languages).
HOST_REFUSED = (
    "421 Misdirected Request: den här servern svarar bara på localhost och på namn som getts "
    "med --allowed-host.\n"
    "421 Misdirected Request: this server answers only to localhost and to names given with "
    "--allowed-host.\n"
)


class AuthError(RuntimeError):
    """The server cannot be started this way (e.g. a public address without users)."""


def is_loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(host: str) -> str | None:
    """The name in a Host header, lower case, without port or brackets ('[::1]:8050' ->
    '::1'); None when it is malformed (a port that is not a number, a lone '[')."""
    value = (host or "").strip().lower()
    if value.startswith("["):
        end = value.find("]")
        rest = value[end + 1:]
        if end < 0 or (rest and not (rest[:1] == ":" and rest[1:].isdigit())):
            return None
        return value[1:end] or None
    if value.count(":") > 1:  # a bare IPv6 address
        return value
    name, sep, port = value.partition(":")
    if sep and not port.isdigit():
        return None
    return name.rstrip(".") or None


def allowed_host_names(names: Iterable[str]) -> tuple[str, ...]:
    """`serve --allowed-host` values as comparable names (a port given with one is ignored)."""
    found = []
    for raw in names:
        name = host_name(raw)
        if not name or "/" in name or " " in name:
            raise AuthError(f"--allowed-host {raw!r} is not a host name (e.g. karta.kommun.se)")
        found.append(name)
    return tuple(dict.fromkeys(found))


def host_allowed(host: str, allowed: Iterable[str] = ()) -> bool:
    """Whether a request's Host header names this server: localhost, a loopback address
    (any port), or one of `allowed`. A page on another name that reached us (DNS rebinding)
    carries its own name here, which the browser sets and a script cannot change."""
    name = host_name(host)
    return name is not None and (is_loopback(name) or name in set(allowed))


def check_bind(host: str, store, data_path: str | None = None) -> None:
    """Refuse to listen on a non-loopback address while the data file has no users."""
    if is_loopback(host) or has_users(store):
        return
    path = data_path or str(getattr(store, "path", "PATH"))
    raise AuthError(
        f"refusing to listen on {host} without users: anyone on the network would see "
        f"exact data. Add a user first (trygghetskarta user add NAME --role ROLE --data {path}) "
        "or listen on 127.0.0.1 only."
    )


def check_proxy(trusted_proxies: int, store, data_path: str | None = None) -> None:
    """Refuse `--trusted-proxy` while the data file has no users: a reverse proxy in front
    makes the server public just as a public address would, and there is no login."""
    if not trusted_proxies or has_users(store):
        return
    path = data_path or str(getattr(store, "path", "PATH"))
    raise AuthError(
        "refusing --trusted-proxy without users: everyone reaching the proxy would see exact "
        f"data. Add a user first (trygghetskarta user add NAME --role ROLE --data {path})."
    )


__all__ = ["HOST_REFUSED", "AuthError", "allowed_host_names", "check_bind", "check_proxy", "host_allowed",
           "host_name", "is_loopback"]
