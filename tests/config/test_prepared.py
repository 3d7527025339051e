"""config.prepared: a query compiled once gives what its queryset gives."""

import pytest
from django.db import connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from config.prepared import PreparedQuery
from materials.models import MaterialImage
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialImageFactory

pytestmark = pytest.mark.django_db


def _image_query(**kwargs):
    return PreparedQuery(
        MaterialImage,
        lambda pk, candidate_id: (
            MaterialImage.objects.select_related("category")
            .only("status", "uploaded_at", "candidate", "category__name")
            .filter(pk=pk, candidate_id=candidate_id)
        ),
        keys=2,
        **kwargs,
    )


def test_prepared_query_returns_what_the_queryset_returns():
    image = MaterialImageFactory()
    query = _image_query()

    loaded = query.get(image.pk, image.candidate_id)
    expected = (
        MaterialImage.objects.select_related("category")
        .only("status", "uploaded_at", "candidate", "category__name")
        .get(pk=image.pk)
    )

    assert loaded == expected
    assert (loaded.status, loaded.uploaded_at, loaded.candidate_id) == (
        expected.status,
        expected.uploaded_at,
        expected.candidate_id,
    )
    assert loaded.get_deferred_fields() == expected.get_deferred_fields()
    assert "sha256" in loaded.get_deferred_fields()
    assert loaded.category.name == image.category.name
    assert not loaded._state.adding and loaded._state.db == "default"


def test_prepared_query_puts_each_key_where_it_belongs():
    # Django orders filter(pk=…, candidate_id=…) by keyword; the keys follow the build's
    # signature all the same.
    image = MaterialImageFactory()
    other = CandidateFactory(site=image.candidate.site)
    query = _image_query()

    assert query.get(image.pk, image.candidate_id) is not None
    assert query.get(image.pk, other.pk) is None


def test_prepared_query_compiles_once_and_sends_one_statement():
    first, second = MaterialImageFactory(), MaterialImageFactory()
    query = _image_query()
    query.get(first.pk, first.candidate_id)

    with CaptureQueriesContext(connection) as ctx:
        loaded = query.get(second.pk, second.candidate_id)

    assert loaded.pk == second.pk
    assert len(ctx.captured_queries) == 1
    assert str(second.pk) in ctx.captured_queries[0]["sql"]


def test_prepared_query_with_no_row_is_none_and_refuses_what_is_not_a_key():
    query = _image_query()

    assert query.get(10**9, 1) is None
    with pytest.raises(ValueError):
        query.get("x", 1)
    with pytest.raises(TypeError):
        query.get(1)


def test_prepared_query_refuses_a_query_with_other_parameters():
    query = PreparedQuery(
        MaterialImage, lambda pk: MaterialImage.objects.filter(pk=pk, status="pending")
    )

    with pytest.raises(ValueError, match="exactly its keys"):
        query.get(1)


@pytest.mark.django_db(transaction=True)
def test_prepared_row_lock_needs_a_transaction():
    image = MaterialImageFactory()
    query = PreparedQuery(
        MaterialImage,
        lambda pk: MaterialImage.objects.select_for_update().only("status").filter(pk=pk),
    )

    with transaction.atomic():
        assert query.get(image.pk).pk == image.pk
    with pytest.raises(TransactionManagementError):
        query.get(image.pk)


def test_prepared_query_compiles_in_each_thread_with_its_own_connection():
    from threading import Thread

    query = _image_query()
    image = MaterialImageFactory()
    query.get(image.pk, image.candidate_id)
    seen = []

    def other_thread():
        try:
            compiled = getattr(query._local, "by_alias", None)
            seen.append(compiled)
        finally:
            connection.close()

    thread = Thread(target=other_thread)
    thread.start()
    thread.join()

    assert seen == [None]  # nothing compiled by this thread is used by another
    assert query._local.by_alias["default"].compiler.connection is connections["default"]


def test_prepared_query_all_returns_every_object_in_the_query_s_order():
    first = MaterialImageFactory()
    second = MaterialImageFactory(candidate=first.candidate, category=first.category)
    MaterialImageFactory()  # another candidate's
    query = PreparedQuery(
        MaterialImage,
        lambda candidate_id: (
            MaterialImage.objects.filter(candidate_id=candidate_id)
            .only("category", "status")
            .order_by("-pk")
        ),
    )

    found = query.all(first.candidate_id)

    assert [image.pk for image in found] == [second.pk, first.pk]
    assert {image.category_id for image in found} == {first.category_id}
    assert query.all(10**9) == []
