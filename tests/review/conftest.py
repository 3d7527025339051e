import pytest

from tests.factories.accounts import (
    ProvinceFactory,
    TestSiteFactory,
    national_admin,
    operator,
    province_reviewer,
    site_reviewer,
)


@pytest.fixture
def org(db):
    """One province with two sites, a second province, and every kind of staff member."""
    province = ProvinceFactory()
    site = TestSiteFactory(province=province)
    other_site = TestSiteFactory(province=province)
    other_province = ProvinceFactory()
    far_site = TestSiteFactory(province=other_province)

    class Org:
        pass

    o = Org()
    o.province, o.site, o.other_site = province, site, other_site
    o.other_province, o.far_site = other_province, far_site
    o.staff = {
        "site": site_reviewer(site),
        "other_site": site_reviewer(other_site),
        "far_site": site_reviewer(far_site),
        "province": province_reviewer(province),
        "other_province": province_reviewer(other_province),
        "operator": operator(province),
        "national": national_admin(),
    }
    return o
