from .accounts import (
    CandidateFactory,
    ExamCategoryFactory,
    ExamYearFactory,
    ProvinceFactory,
    StaffUserFactory,
    TestSiteFactory,
    national_admin,
    operator,
    province_reviewer,
    site_reviewer,
)

__all__ = [
    "CandidateFactory",
    "ExamCategoryFactory",
    "ExamYearFactory",
    "ProvinceFactory",
    "StaffUserFactory",
    "TestSiteFactory",
    "national_admin",
    "operator",
    "province_reviewer",
    "site_reviewer",
]
