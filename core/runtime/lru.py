"""One thread-safe least-recently-used cache, for the caches that keep computed features between requests.

Requests run in Gradio's worker threads, so reads reorder and writes evict under one lock. `get_or_create` builds
a missing value once: two requests wanting the same expensive value (a support set's features) wait for one build,
while requests for other keys are not held up behind it.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any


class KeyLocks:
    """One lock per key, for work done once per key under concurrency (load a model, build features, index a
    video): callers for the same key take turns, callers for other keys are not held up. A key's lock lives only
    while someone holds or waits for it, so none is kept per key ever seen."""

    def __init__(self):
        self._guard = threading.Lock()
        self._locks: dict[Hashable, list] = {}  # key -> [its lock, threads holding or waiting for it]

    @contextlib.contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:  # the last user drops the key's lock
                entry[1] -= 1
                if not entry[1]:
                    del self._locks[key]

    def busy(self) -> set[Hashable]:
        """The keys someone holds or waits for now."""
        with self._guard:
            return set(self._locks)

    def __len__(self) -> int:
        with self._guard:
            return len(self._locks)


class LRUCache:
    """At most `capacity` entries; `get` marks an entry as used, `put` evicts the least recently used first."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._building = KeyLocks()  # one build per key at a time

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def get_or_create(self, key: Hashable, factory: Callable[[], Any]) -> Any:
        """The value of `key`, built by `factory()` and put if missing; one build per key at a time, under that
        key's own lock (a build that raises caches nothing, and the next caller builds again)."""
        value = self.get(key)
        if value is not None:
            return value
        with self._building.hold(key):
            value = self.get(key)  # built by the thread this one waited for
            if value is None:
                value = factory()
                self.put(key, value)
            return value

    def pop(self, key: Hashable) -> Any | None:
        """Remove `key` (e.g. its file was deleted); its value, or None."""
        with self._lock:
            return self._items.pop(key, None)

    def keys(self) -> list[Hashable]:
        """A snapshot of the keys, least recently used first."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
