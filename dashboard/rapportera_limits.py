"""Abuse limits of the residents' form: submissions per address and in all per hour, one
submission per form token, and the misses of the status page per address — counted in the
data file's counter table (layers.server_state's `server_login_failures`, the login backoff's),
so every `serve --workers N` process counts the same submissions.

A counter is (count, start of its window): the window starts at the first submission and
lasts `window_s`; the shared table forgets a counter whose value was last written before
`now - forget_s`, and the login backoff forgets after its `forget_s` (3600 s by default), so
a window is never longer than that (`SubmitLimits` refuses a longer one).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

#: The login backoff's default `forget_s`: the shared table drops older counters on its writes.
SHARED_FORGET_S = 3600.0


def address_group(address: str | None) -> str:
    """What one sender is: an IPv4 address, or the /64 network of an IPv6 address (one
    household or phone gets a whole /64, so counting single IPv6 addresses would count nothing)."""
    text = (address or "").strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


@dataclass(frozen=True)
class Verdict:
    """`ok`, or why not: 'address', 'global' (too many), 'token' (already used); seconds to wait."""

    ok: bool
    reason: str = ""
    retry_after_s: float = 0.0


class SubmitLimits:
    """Per address `per_address` submissions per window, `total` from everyone, one per token."""

    def __init__(self, counters, *, per_address: int = 20, total: int = 300, window_s: float = 3600.0,
                 status_misses: int = 60, clock=time.time):
        if window_s > SHARED_FORGET_S:
            raise ValueError(f"window_s {window_s} is longer than the shared counters keep ({SHARED_FORGET_S} s)")
        self.counters = counters
        self.per_address, self.total, self.window_s = per_address, total, window_s
        self.status_misses = status_misses
        self.clock = clock

    @staticmethod
    def _address_key(address: str | None) -> str:
        return f"rapportera\x00addr\x00{address_group(address)}"

    def submit(self, address: str | None, token_id: str) -> Verdict:
        """Count one submission (in one write transaction with the check), or refuse it; a
        refused submission is not counted."""
        now = self.clock()
        addr, everyone, token = self._address_key(address), "rapportera\x00all", f"rapportera\x00token\x00{token_id}"

        def live(entry):
            return entry is not None and now - entry[1] < self.window_s

        def change(entries):
            if live(entries.get(token)):
                return Verdict(False, "token"), {}
            for key, limit, reason in ((addr, self.per_address, "address"), (everyone, self.total, "global")):
                entry = entries.get(key)
                if live(entry) and entry[0] >= limit:
                    return Verdict(False, reason, entry[1] + self.window_s - now), {}
            writes = {token: (1, now)}
            for key in (addr, everyone):
                entry = entries.get(key)
                writes[key] = (entry[0] + 1, entry[1]) if live(entry) else (1, now)
            return Verdict(True), writes

        return self.counters.update_failures([addr, everyone, token], change, now - SHARED_FORGET_S)

    def status_miss(self, address: str | None) -> Verdict:
        """Count a status lookup of an unknown reference; refused after `status_misses` per window
        (asking for references at random finds nothing, and quickly finds a 429)."""
        now = self.clock()
        key = f"rapportera\x00status\x00{address_group(address)}"

        def change(entries):
            entry = entries.get(key)
            live = entry is not None and now - entry[1] < self.window_s
            if live and entry[0] >= self.status_misses:
                return Verdict(False, "address", entry[1] + self.window_s - now), {}
            return Verdict(True), {key: (entry[0] + 1, entry[1]) if live else (1, now)}

        return self.counters.update_failures([key], change, now - SHARED_FORGET_S)

    def status_blocked(self, address: str | None) -> Verdict:
        """Whether this address used up its misses (a read: a known reference is always shown
        otherwise)."""
        now = self.clock()
        key = f"rapportera\x00status\x00{address_group(address)}"
        entry = self.counters.read_failures([key]).get(key)
        if entry is not None and now - entry[1] < self.window_s and entry[0] >= self.status_misses:
            return Verdict(False, "address", entry[1] + self.window_s - now)
        return Verdict(True)


__all__ = ["SHARED_FORGET_S", "SubmitLimits", "Verdict", "address_group"]
