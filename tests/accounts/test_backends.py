import pytest

from accounts.backends import StaffModelBackend
from accounts.selectors import staff_profile_of
from tests.factories.accounts import StaffUserFactory, TestSiteFactory, site_reviewer

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
