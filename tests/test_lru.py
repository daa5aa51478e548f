"""core.lru: the one LRU cache behind CLIP's image embeddings and VQA's image features."""

from __future__ import annotations

import threading

import pytest

from core.lru import LRUCache


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
    from core.clip.support import IMAGE_CACHE
    from core.vqa.session import FEATURES

    assert isinstance(IMAGE_CACHE, LRUCache) and isinstance(FEATURES, LRUCache)
