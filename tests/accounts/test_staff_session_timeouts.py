"""Staff sessions end after YISHEN_STAFF_IDLE_SECONDS without a request and
YISHEN_STAFF_SESSION_MAX_SECONDS after the log-in, with a message on the log-in page; a
request in between keeps an idle session alive. Candidates' sessions are not affected."""

import time

import pytest

from accounts.middleware import LOGGED_IN_AT, SEEN_AT

pytestmark = pytest.mark.django_db


def _age(client, **seconds_ago):
    """Moves the session's clocks back, as if that much time had passed."""
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_idle_staff_session_ends_with_a_message(client, org, settings):
    client.force_login(org.staff["site"])
    _age(client, **{SEEN_AT: settings.YISHEN_STAFF_IDLE_SECONDS + 5})
    response = client.get("/review/")
    assert response.status_code == 302
    assert response["Location"] == "/review/login/?next=/review/"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "您已较长时间未操作" in page


def test_activity_within_the_idle_limit_keeps_the_session(client, org, settings):
    client.force_login(org.staff["site"])
    _age(client, **{SEEN_AT: settings.YISHEN_STAFF_IDLE_SECONDS - 60})
    assert client.get("/review/").status_code == 200
    assert client.session[SEEN_AT] >= int(time.time()) - 5
    _age(client, **{SEEN_AT: settings.YISHEN_STAFF_IDLE_SECONDS - 60})
    assert client.get("/review/").status_code == 200


def test_staff_session_ends_at_the_absolute_limit_despite_activity(client, org, settings):
    client.force_login(org.staff["operator"])
    _age(client, **{LOGGED_IN_AT: settings.YISHEN_STAFF_SESSION_MAX_SECONDS + 5, SEEN_AT: 10})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/review/login/?next=/admin/"
    assert "_auth_user_id" not in client.session
    assert "登录时间已达上限" in client.get(response["Location"]).content.decode()


def test_a_new_log_in_restarts_the_clocks(client, org, settings):
    user = org.staff["site"]
    client.force_login(user)
    _age(client, **{LOGGED_IN_AT: settings.YISHEN_STAFF_SESSION_MAX_SECONDS - 10})
    client.force_login(user)
    assert client.session[LOGGED_IN_AT] >= int(time.time()) - 5


def test_candidate_session_has_no_staff_time_outs(client, settings):
    from tests.factories.review import candidate_with_photos
    from tests.materials.conftest import login_candidate

    candidate, _cats, _imgs = candidate_with_photos(photos=1)
    login_candidate(client, candidate)
    _age(client, **{SEEN_AT: settings.YISHEN_STAFF_IDLE_SECONDS + 5})
    assert client.get("/materials/").status_code == 200
