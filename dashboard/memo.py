"""A bounded cache where concurrent askers of one key wait for a single computation."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class SingleFlight:
    """LRU cache of at most `size` results; while a key is being computed, other threads asking
    for it wait for that result instead of computing it again. A failed computation is not
    cached (each waiter then tries itself, and sees the same error)."""

    def __init__(self, size: int = 32):
        self.size = size
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._flights: dict[Hashable, list] = {}  # key -> [lock, askers]
        self._guard = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._guard:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
            flight = self._flights.setdefault(key, [threading.Lock(), 0])
            flight[1] += 1
        try:
            with flight[0]:
                with self._guard:
                    if key in self._results:
                        return self._results[key]
                value = compute()
                with self._guard:
                    self._results[key] = value
                    while len(self._results) > self.size:
                        self._results.popitem(last=False)
                return value
        finally:
            with self._guard:
                flight[1] -= 1
                if flight[1] == 0 and self._flights.get(key) is flight:
                    del self._flights[key]

    def asking(self) -> int:
        """How many threads are asking for keys being computed (for tests)."""
        with self._guard:
            return sum(flight[1] for flight in self._flights.values())

    def clear(self) -> None:
        with self._guard:
            self._results.clear()

    def __len__(self) -> int:
        with self._guard:
            return len(self._results)
