"""One computation for identical requests: single-flight plus a small bounded result cache.

In class everybody clicks the same example at once: the same image, the same models, the same options. Without this
each of thirty requests runs the same forward pass. Here a request whose key is being computed waits for that
computation (single-flight), and a request whose key was computed recently gets the stored answer (a bounded LRU).

Only pure computations belong here: the answer must be a function of the key alone. Keys are built by the task
services (core.image.service, core.text.service, core.vqa.service, core.clip.service) from the model's identity
(`model_token`: never reused, so a reloaded or retrained model never meets an old answer), the options and the
input's content (`pixels_key`: a hash of the decoded pixels, so one example uploaded thirty times is one key).
Errors are never stored: a waiter whose computation failed computes again itself (the error may have been
transient; a repeatable one costs the same as without coalescing).

`CLASSROOM_SPEEDUPS=0` or `RESULT_CACHE=0` turns it off (core/runtime/serving.py).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

# How a value reached its caller.
COMPUTED, JOINED, CACHED = "computed", "joined", "cached"


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    ok: bool = False


class Coalescer:
    """`run(key, compute)` -> (value, how): `compute()` runs once per key at a time, its value is kept for the next
    `capacity` distinct keys. Thread safe (callers are Gradio's worker threads)."""

    def __init__(self, capacity: int, name: str = "results"):
        self.capacity = max(0, capacity)
        self.name = name
        self._lock = threading.Lock()
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        # Counters, for tests and benchmarks: computations started, answers shared with a running one, cache hits.
        self.computed = self.joined = self.hits = 0

    def run(self, key: Hashable, compute: Callable[[], Any], *, enabled: bool = True) -> tuple[Any, str]:
        if not enabled:
            with self._lock:
                self.computed += 1
            return compute(), COMPUTED
        while True:
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    self.hits += 1
                    return self._cache[key], CACHED
                flight = self._flights.get(key)
                leader = flight is None
                if leader:
                    flight = self._flights[key] = _Flight()
                    self.computed += 1
            if leader:
                return self._lead(key, flight, compute), COMPUTED
            flight.done.wait()
            if flight.ok:
                with self._lock:
                    self.joined += 1
                return flight.value, JOINED
            # The computation failed: nothing was stored; try again (one of the waiters leads the next try).

    def _lead(self, key: Hashable, flight: _Flight, compute: Callable[[], Any]) -> Any:
        try:
            value = compute()
            flight.value, flight.ok = value, True
            with self._lock:
                if self.capacity:
                    self._cache[key] = value
                    self._cache.move_to_end(key)
                    while len(self._cache) > self.capacity:
                        self._cache.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)


_tokens: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_token_lock = threading.Lock()
_counter = itertools.count(1)
_strong: dict[int, tuple[Any, int]] = {}


def model_token(module: Any) -> int:
    """A number for this very object, never given to another one (unlike id(), which a new object may reuse after
    the old one is freed): a model dropped and reloaded gets a new number, so its old answers are never served."""
    with _token_lock:
        try:
            token = _tokens.get(module)
            if token is None:
                token = _tokens[module] = next(_counter)
        except TypeError:  # an object without weak references: kept alive here, so its id is never reused
            token = _strong.setdefault(id(module), (module, next(_counter)))[1]
        return token


def pixels_key(image: Any) -> tuple:
    """A PIL image's content: mode, size and a hash of its decoded pixels (the same photo uploaded as PNG or
    re-encoded keeps its key as long as its pixels are the same)."""
    digest = hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest()
    return image.mode, image.size, digest


def coalesced(coalescer: Coalescer, key: Hashable, compute: Callable[[], Any]) -> tuple[Any, str]:
    """`coalescer.run` sized by RESULT_CACHE as set now (core/runtime/serving.py; 0 or CLASSROOM_SPEEDUPS=0: every
    request computes its own answer, as before coalescing)."""
    from core.runtime.serving import serving_settings

    size = serving_settings().result_cache
    coalescer.capacity = size
    return coalescer.run(key, compute, enabled=size > 0)
