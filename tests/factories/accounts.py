import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.enums import CandidateStatus, StaffRole
from accounts.models import Candidate, ExamCategory, ExamYear, Province, StaffProfile, TestSite

PASSWORD = "review-pass-2026"


class ExamYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExamYear
        django_get_or_create = ("year",)

    year = 2026
    is_current = True


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{50 + n % 49:02d}")
    name = factory.LazyAttribute(lambda o: f"测试考区{o.code}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=3))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))


class TestSiteFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = TestSite
        django_get_or_create = ("code",)

    province = factory.SubFactory(ProvinceFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.province.code}{n % 100:02d}")
    name = factory.LazyAttribute(lambda o: f"测试考点{o.code}")


class ExamCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExamCategory
        django_get_or_create = ("code",)

    code = "110"
    name = "临床执业医师"


class CandidateFactory(factory.django.DjangoModelFactory):
    """An activated candidate in DRAFT by default; `activated=False` for a fresh one."""

    class Meta:
        model = Candidate

    class Params:
        activated = factory.Trait(
            phone="13912345678",
            phone_verified_at=factory.LazyFunction(timezone.now),
            address="天津市和平区南京路1号",
            registration_confirmed_at=factory.LazyFunction(timezone.now),
            consent_at=factory.LazyFunction(timezone.now),
            activated_at=factory.LazyFunction(timezone.now),
        )

    activated = True
    exam_year = factory.SubFactory(ExamYearFactory)
    reg_no = factory.Sequence(lambda n: f"2026{n:08d}")
    name = factory.Sequence(lambda n: f"考生{n}")
    id_type = "id_card"
    id_no = factory.Sequence(lambda n: f"12010119900101{n % 10000:04d}")
    site = factory.SubFactory(TestSiteFactory)
    province = factory.LazyAttribute(lambda o: o.site.province)
    category = factory.SubFactory(ExamCategoryFactory)
    tags = factory.LazyFunction(list)
    status = CandidateStatus.DRAFT
    # Factory candidates have entered (a roster's candidate who has not is made with
    # last_entry_at=None).
    last_entry_at = factory.LazyFunction(timezone.now)


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    is_active = True

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def _staff(role: str, *, province=None, site=None, is_staff: bool = False, **kwargs):
    user = StaffUserFactory(is_staff=is_staff, **kwargs)
    StaffProfile.objects.create(user=user, role=role, province=province, site=site)
    return user


def site_reviewer(site, **kwargs):
    return _staff(StaffRole.SITE_REVIEWER, province=site.province, site=site, **kwargs)


def province_reviewer(province, **kwargs):
    return _staff(StaffRole.PROVINCE_REVIEWER, province=province, **kwargs)


def operator(province, **kwargs):
    return _staff(StaffRole.OPERATOR, province=province, is_staff=True, **kwargs)


def national_admin(**kwargs):
    return _staff(StaffRole.NATIONAL, is_staff=True, **kwargs)
