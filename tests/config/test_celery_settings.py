import logging

from django.conf import settings
from kombu import Connection


def test_broker_url_gives_kombu_a_host_so_seed_demo_prints_no_warning(caplog):
    # An eager task still takes a producer from the broker's pool, whose connection reads
    # these details; a bare `memory://` made kombu warn on it in `make run` and `seed_demo`.
    caplog.set_level(logging.WARNING, logger="kombu.connection")

    # The embedded default is `memory://localhost/`; CI's second pass and deployments set a
    # Redis URL: either way the broker URL names a host.
    info = Connection(settings.CELERY_BROKER_URL).info()

    assert info["hostname"]
    assert [r.getMessage() for r in caplog.records if r.name == "kombu.connection"] == []
