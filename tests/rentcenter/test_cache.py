"""rentcenter.cache: the Redis backend keeps one client per connection pool."""

import pytest
from django.conf import settings
from django.core.cache import cache


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")
def test_one_client_serves_every_operation():
    cache.set("cache-test", 1)
    client = cache._cache.get_client(write=True)
    assert cache.get("cache-test") == 1
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client() is client  # one server: reads use the same pool


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")
def test_the_backend_behaves_as_djangos():
    assert cache.add("cache-add", "a") is True
    assert cache.add("cache-add", "b") is False
    cache.add("cache-count", 0)
    assert cache.incr("cache-count") == 1
    assert cache.get_many(["cache-add", "missing"]) == {"cache-add": "a"}
    cache.delete("cache-add")
    assert cache.get("cache-add") is None
