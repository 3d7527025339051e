"""Values kept in the cache for a while: read-mostly configuration that every page reads
(a province's material categories, its standard return reasons, the queue's filter
options) and figures that may lag a few seconds (the queue's counts per status).

Configuration entries are dropped when what they hold changes (signal receivers call
`forget`) and expire anyway after their time, which bounds what a change outside the ORM
leaves behind.
"""

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


def cached(key: str, seconds: int, compute: Callable[[], T]) -> T:
    """The cached value of `key`, or `compute()` stored under it for `seconds`."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def forget(keys: Iterable[str]) -> None:
    """Drops the entries now and again when the transaction commits: a request that read
    the old rows while the change was being made must not keep them cached."""
    keys = list(keys)
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
