"""core.runtime.lru: the one LRU cache behind CLIP's image embeddings and VQA's image features."""

from __future__ import annotations

import threading

import pytest

from core.runtime.lru import LRUCache


def test_least_recently_used_leaves_first():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3 and len(cache) == 2
    cache.put("a", 10)  # replacing counts as a use
    cache.put("d", 4)
    assert cache.get("c") is None and cache.get("a") == 10
    cache.clear()
    assert len(cache) == 0 and cache.get("a") is None


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        LRUCache(0)


def test_concurrent_writers_keep_the_bound():
    cache = LRUCache(50)

    def write(start):
        for i in range(start, start + 2000):
            cache.put(i, i)
            cache.get(i - 1)

    threads = [threading.Thread(target=write, args=(k * 10_000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50


def test_the_feature_caches_are_this_class():
    from core.clip.support import BUILTIN_CACHE, IMAGE_CACHE
    from core.video import index
    from core.vqa.service import FEATURES

    for cache in (IMAGE_CACHE, FEATURES, BUILTIN_CACHE, index._memory):
        assert isinstance(cache, LRUCache)


def test_get_or_create_builds_each_key_once_and_other_keys_do_not_wait():
    cache = LRUCache(8)
    builds: list[str] = []
    slow_started, release = threading.Event(), threading.Event()

    def slow():
        builds.append("slow")
        slow_started.set()
        assert release.wait(10)
        return "slow value"

    threads = [threading.Thread(target=cache.get_or_create, args=("slow", slow)) for _ in range(4)]
    for t in threads:
        t.start()
    assert slow_started.wait(10)
    # While "slow" is being built, another key is built and returned at once.
    assert cache.get_or_create("fast", lambda: builds.append("fast") or "fast value") == "fast value"
    release.set()
    for t in threads:
        t.join()
    assert builds == ["slow", "fast"] and cache.get("slow") == "slow value"
    assert cache.get_or_create("slow", lambda: builds.append("again")) == "slow value" and len(builds) == 2
    assert not cache._building  # no per-key lock left behind


def test_a_failed_build_caches_nothing():
    cache = LRUCache(2)

    def broken():
        raise OSError("disk gone")

    with pytest.raises(OSError):
        cache.get_or_create("k", broken)
    assert cache.get("k") is None and not cache._building
    assert cache.get_or_create("k", lambda: 3) == 3


def test_pop_and_keys():
    cache = LRUCache(3)
    for key in "abc":
        cache.put(key, key.upper())
    cache.get("a")
    assert cache.keys() == ["b", "c", "a"]  # least recently used first
    assert cache.pop("b") == "B" and cache.pop("b") is None and cache.keys() == ["c", "a"]


def test_key_locks_are_held_per_key_and_dropped_after():
    """core.runtime.lru.KeyLocks (the model store, get_or_create and video indexing share it): one key's holder does not
    block another key, and no lock outlives its last user."""
    from core.runtime.lru import KeyLocks

    locks, inside = KeyLocks(), threading.Event()
    release = threading.Event()

    def hold_a():
        with locks.hold("a"):
            inside.set()
            assert release.wait(10)

    t = threading.Thread(target=hold_a)
    t.start()
    assert inside.wait(10) and locks.busy() == {"a"}
    with locks.hold("b"):  # not held up by "a"
        assert locks.busy() == {"a", "b"}
    release.set()
    t.join()
    assert locks.busy() == set() and len(locks) == 0
