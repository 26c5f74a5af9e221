"""The login backoff: failed logins slow down, they never lock anyone out. The curve is here;
the counters live in the data file (layers.server_state), so every server process counts
the same attempts, or in memory for one process (`MemoryCounters`)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable

from .i18n import t


class MemoryCounters:
    """Failure counters in this process's memory (one process; tests), with the interface of
    `layers.server_state.ServerState`'s `read_failures` / `update_failures`."""

    def __init__(self, max_keys: int = 100_000):
        self.max_keys = max_keys
        self._entries: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def read_failures(self, keys: Iterable[str]) -> dict[str, tuple[int, float]]:
        with self._lock:
            return {k: self._entries[k] for k in keys if k in self._entries}

    def update_failures(self, keys: Iterable[str], change: Callable, forget_before: float):
        with self._lock:
            keys = list(keys)
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None and entry[1] <= forget_before:
                    del self._entries[key]
            result, writes = change({k: self._entries[k] for k in keys if k in self._entries})
            if len(self._entries) >= self.max_keys:
                self._prune(forget_before)
            for key, entry in writes.items():
                if entry is None:
                    self._entries.pop(key, None)
                else:
                    self._entries[key] = entry
            return result

    def _prune(self, forget_before: float) -> None:
        for key in [k for k, (_, last) in self._entries.items() if last <= forget_before]:
            del self._entries[key]
        if len(self._entries) >= self.max_keys:  # still full: forget the oldest half
            oldest = sorted(self._entries, key=lambda k: self._entries[k][1])
            for key in oldest[: len(oldest) // 2]:
                del self._entries[key]


class LoginBackoff:
    """Failed logins slow down; they never lock anyone out.

    Two counters per attempt: the (user name, address) pair and the address alone. After
    `free` failures of a pair the next attempt from that pair must wait `base_s`, then twice
    as long after each further failure, at most `cap_s`; the address alone gets the same
    curve after `address_free` failures (many names tried from one place), capped at
    `address_cap_s`. So an attacker guessing one account's password from one address gets
    one try per `cap_s`, while the owner logging in from elsewhere is not slowed at all, and
    someone behind the attacker's address waits at most `address_cap_s`.

    `begin` counts the attempt as failed *before* the password check (so parallel attempts
    cannot all pass one free slot: the counters are read and written in one transaction)
    and `succeeded` takes it back. An attempt refused for waiting is not counted: trying too
    early never pushes the wait further. Counters are forgotten `forget_s` after their last
    failure. Nothing sleeps: a refused attempt is answered at once with the seconds to wait.

    `counters`: where the counts live (`layers.server_state.ServerState` for every process
    serving a data file; default: this process's memory). `clock`: wall-clock seconds, as
    counters kept in a file outlive the process.
    """

    def __init__(self, *, free: int = 3, base_s: float = 1.0, cap_s: float = 120.0,
                 address_free: int = 30, address_cap_s: float = 30.0, forget_s: float = 3600.0,
                 clock=time.time, max_keys: int = 100_000, counters=None):
        self.free, self.base_s, self.cap_s = free, base_s, cap_s
        self.address_free, self.address_cap_s = address_free, address_cap_s
        self.forget_s = forget_s
        self.clock = clock
        self.counters = counters if counters is not None else MemoryCounters(max_keys)

    def delay(self, count: int, free: int, cap: float) -> float:
        """The wait after `count` failures: none for the first `free`, then doubling."""
        if count < free:
            return 0.0
        return min(self.base_s * 2.0 ** (count - free), cap)

    def _keys(self, name: str, address: str | None) -> list[tuple[str, int, float]]:
        user = (name or "").strip().lower()[:200]
        address = address or ""
        return [(f"pair\x00{user}\x00{address}", self.free, self.cap_s),
                (f"addr\x00{address}", self.address_free, self.address_cap_s)]

    def _wait(self, keys, entries: dict, now: float) -> float:
        waits = [0.0]
        for key, free, cap in keys:
            count, last = entries.get(key, (0, 0.0))
            if now - last < self.forget_s:
                waits.append(last + self.delay(count, free, cap) - now)
        return max(waits)

    def wait(self, name: str, address: str | None = None) -> float:
        """Seconds until the next attempt for this name from this address may be checked."""
        now = self.clock()
        keys = self._keys(name, address)
        return self._wait(keys, self.counters.read_failures(k for k, _, _ in keys), now)

    def begin(self, name: str, address: str | None = None) -> float:
        """0 when this attempt may check the password (it is counted as failed until
        `succeeded`), else the seconds to wait (the attempt is not counted)."""
        now = self.clock()
        keys = self._keys(name, address)

        def change(entries):
            wait = self._wait(keys, entries, now)
            if wait > 0:
                return wait, {}
            return 0.0, {key: (entries.get(key, (0, 0.0))[0] + 1, now) for key, _, _ in keys}

        return self.counters.update_failures([k for k, _, _ in keys], change, now - self.forget_s)

    def succeeded(self, name: str, address: str | None = None) -> None:
        """The password was right: the pair starts afresh and the attempt is no failure of
        the address (its earlier failures stay)."""
        (pair, _, _), (addr, _, _) = self._keys(name, address)

        def change(entries):
            writes = {pair: None}
            if addr in entries:
                count, last = entries[addr]
                writes[addr] = (max(0, count - 1), last)
            return None, writes

        self.counters.update_failures([pair, addr], change, self.clock() - self.forget_s)


def wait_message(seconds: float, lang: str = "sv") -> str:
    """'… Försök igen om 4 s.': the same for every name, existing or not."""
    n = max(1, math.ceil(seconds))
    return t("login_wait", lang, n=n)


__all__ = ["LoginBackoff", "MemoryCounters", "wait_message"]
