import pytest

from accounts.backends import StaffModelBackend
from accounts.selectors import staff_profile_of
from tests.factories.accounts import (
    ProvinceFactory,
    StaffUserFactory,
    TestSiteFactory,
    province_reviewer,
    site_reviewer,
)

pytestmark = pytest.mark.django_db


def test_backend_user_comes_with_profile_site_and_province(django_assert_num_queries):
    site = TestSiteFactory()
    user = site_reviewer(site)

    with django_assert_num_queries(1):
        loaded = StaffModelBackend().get_user(user.pk)
        profile = staff_profile_of(loaded)
        assert (profile.site.code, profile.province.code) == (site.code, site.province.code)


def test_backend_user_without_profile_has_none():
    user = StaffUserFactory()

    assert staff_profile_of(StaffModelBackend().get_user(user.pk)) is None


def test_backend_inactive_user_is_not_loaded():
    user = site_reviewer(TestSiteFactory(), is_active=False)

    assert StaffModelBackend().get_user(user.pk) is None


def test_backend_user_is_the_same_as_the_orm_loads_it():
    site = TestSiteFactory()
    user = site_reviewer(site, first_name="审核员")

    loaded = StaffModelBackend().get_user(user.pk)
    fresh = (
        type(user)
        .objects.select_related("staff_profile__site", "staff_profile__province")
        .get(pk=user.pk)
    )

    assert loaded == fresh
    for name in ("username", "password", "first_name", "last_login", "date_joined", "is_active"):
        assert getattr(loaded, name) == getattr(fresh, name)
    assert loaded.staff_profile == fresh.staff_profile
    assert loaded.staff_profile.user is loaded
    assert loaded.staff_profile.province.name == fresh.staff_profile.province.name
    assert not loaded._state.adding and loaded._state.db == "default"


def test_backend_province_reviewer_has_no_site():
    user = province_reviewer(ProvinceFactory())

    profile = staff_profile_of(StaffModelBackend().get_user(user.pk))

    assert profile.site is None and profile.province is not None


def test_backend_reads_the_row_of_each_request_not_a_copy():
    # Deactivation and a new password take effect on the next request.
    user = site_reviewer(TestSiteFactory())
    backend = StaffModelBackend()
    backend.get_user(user.pk)
    type(user).objects.filter(pk=user.pk).update(password="changed", is_active=False)

    assert backend.get_user(user.pk) is None
    type(user).objects.filter(pk=user.pk).update(is_active=True)
    assert backend.get_user(user.pk).password == "changed"


@pytest.mark.parametrize("user_id", [0, 987654, "987654", "not-a-number", None])
def test_backend_unknown_or_malformed_user_id_is_no_user(user_id):
    site_reviewer(TestSiteFactory())

    assert StaffModelBackend().get_user(user_id) is None
