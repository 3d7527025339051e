"""Queries by key compiled once (per database and thread), then only executed.

Turning a queryset into SQL costs Python time on every request: for the few statements
every workbench request or decision runs (the user with its staff profile, the candidate
by id, the candidate and photo row locks, the photos' states of the completeness check)
compiling cost more than PostgreSQL took to run them. A
PreparedQuery keeps what QuerySet iteration builds the first time (the SQL, the column
converters, the related-object populators: django.db.models.query.ModelIterable) and
afterwards only executes the SQL with new keys and builds the objects with `Model.from_db`,
so the objects are the ones the queryset itself would return, related caches and
deferred fields included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

# Stand-ins for the keys while compiling: the parameters of the compiled SQL must be
# exactly these (then the keys go where they stand, whatever order Django put them in).
_SENTINELS = (-7_770_001, -7_770_002, -7_770_003)


class PreparedQuery:
    """`build(*keys)` returns the queryset, filtered by the integer keys it is given, that
    this stands for; `get(*keys)` returns its one object or None, `all(*keys)` its objects. The queryset may use
    select_related, only() and select_for_update (then `get` needs a transaction)."""

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], *, keys: int = 1):
        if not 1 <= keys <= len(_SENTINELS):
            raise ValueError("a PreparedQuery takes 1 to 3 keys")
        self.model = model
        self.build = build
        self.keys = keys
        # Per thread: the compiled pieces hold the compiling thread's connection (its
        # converters are bound to it), and Django's connections are per thread.
        self._local = threading.local()

    def get(self, *keys: int) -> Model | None:
        """The first object (the query's one object, by key), or None."""
        found = self._compiled().rows(self._keys(keys), first=True)
        return found[0] if found else None

    def all(self, *keys: int) -> list[Model]:
        """Every object the query finds, in its order."""
        return self._compiled().rows(self._keys(keys), first=False)

    def _keys(self, keys: tuple) -> tuple[int, ...]:
        if len(keys) != self.keys:
            raise TypeError(f"expected {self.keys} keys, got {len(keys)}")
        return tuple(int(key) for key in keys)  # ValueError/TypeError for anything else

    def _compiled(self) -> _Compiled:
        using = router.db_for_write(self.model)
        compiled = getattr(self._local, "by_alias", None)
        if compiled is None:
            compiled = self._local.by_alias = {}
        if using not in compiled:
            compiled[using] = _Compiled(self.build, self.keys, using)
        return compiled[using]


class _Compiled:
    def __init__(self, build: Callable[..., QuerySet], keys: int, using: str):
        queryset = build(*_SENTINELS[:keys]).using(using)
        self.for_update = queryset.query.select_for_update
        # Compiling a select_for_update outside a transaction is refused by Django; compile
        # it as the first caller would run it.
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        params = list(params)
        if len(params) != keys or any(param not in _SENTINELS[:keys] for param in params):
            raise ValueError(f"the query's parameters must be exactly its keys: {params!r}")
        self.positions = [params.index(sentinel) for sentinel in _SENTINELS[:keys]]
        self.using = using
        self.compiler = compiler
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        self.model = klass_info["model"]
        self.span = slice(fields[0], fields[-1] + 1)
        self.init_list = [column[0].target.attname for column in select[self.span]]
        self.populators = get_related_populators(klass_info, select, using)
        self.converters = compiler.get_converters([column[0] for column in select])

    def rows(self, keys: tuple[int, ...], *, first: bool) -> list[Model]:
        connection = connections[self.using]
        if self.for_update and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params: list[int] = [0] * len(keys)
        for position, key in zip(self.positions, keys, strict=True):
            params[position] = key
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            if first:
                row = cursor.fetchone()
                rows = [] if row is None else [row]
            else:
                rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        objs = []
        for row in rows:
            obj = self.model.from_db(self.using, self.init_list, row[self.span])
            for populator in self.populators:
                populator.populate(row, obj)
            objs.append(obj)
        return objs
