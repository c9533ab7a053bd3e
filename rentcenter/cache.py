"""The shared cache on Redis, with one client per connection pool.

Django's Redis backend makes a new `redis.Redis` for every cache operation; building one sets
up its table of ~170 response callbacks, which costs more than the round trip to Redis itself
on the pages that are only a cache read (rentcenter.pagecache). A Redis client is safe to share
between threads, so this backend keeps one per pool.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClient
