"""Rosters: the registration system's candidates before they ever enter, pushed by the signed
API (review.api.roster) or imported from a sheet in the admin (accounts.admin_imports). Both
call roster_upsert, which is idempotent: a record is created, updated, left unchanged, or
refused with every reason, and the report says which for each.

A candidate created this way has no last_entry_at: they are "not started" until their first
entry, which then continues as a first entry (accounts.services.entry). The registration
data of a candidate who has already entered is updated the way a later entry updates it: the
changes are shown to them on the material page.

A record may carry the candidate's mobile number as the registration system holds it
(optional): it is how a reminder reaches a candidate who has never entered. It is stored
apart from the phone the candidate verifies at activation, which is used once it exists."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..entry import RECORD_FIELDS, registration_field_problems, registration_normalised
from ..enums import CandidateEventAction, IdType
from ..models import Candidate, ExamCategory, ExamYear, Province, TestSite, mask_phone
from ..tabular import Column
from ..validators import MOBILE_RE, mobile_from_sheet
from .entry import (
    REGISTRATION_COLUMNS,
    registration_apply,
    registration_changes_merge,
    registration_set,
)
from .events import candidate_event_create

ROSTER_COLUMNS = (
    Column("reg_no", "报名号"),
    Column("year", "年度"),
    Column("name", "姓名"),
    Column("id_type", "证件类型"),
    Column("id_no", "证件号码"),
    Column("province", "考区代码"),
    Column("site", "考点代码"),
    Column("category", "报考类别代码"),
    Column("tags", "考生标记", required=False),
    Column("mobile", "手机号码", required=False),
)
ROSTER_FILE_MAX_ROWS = 50_000
ROSTER_API_MAX_RECORDS = 1000
_TAG_SEPARATORS = re.compile(r"[;；,，、|]")
_ID_TYPES = {**{str(t.label): t.value for t in IdType}, **{t.value: t.value for t in IdType}}

CREATED, UPDATED, UNCHANGED, REFUSED = "created", "updated", "unchanged", "refused"

# Why a field is refused, by its column's Chinese header (what the operator's sheet has; the
# API's code, bad_<field>, names the JSON key). The rules are accounts.entry's.
_FIELD_REASONS = {
    "reg_no": gettext_lazy("报名号缺失或格式不正确（1～32 位字母、数字或“-”）"),
    "year": gettext_lazy("年度缺失或不正确（应为 2000～2100 之间的年份，如 2026）"),
    "name": gettext_lazy("姓名缺失或过长（最多 64 个字）"),
    "id_type": gettext_lazy("证件类型缺失或不正确"),
    "id_no": gettext_lazy("证件号码缺失或过长（最多 32 位）"),
    "province": gettext_lazy("考区代码缺失或格式不正确（应为 2 位数字）"),
    "site": gettext_lazy("考点代码缺失或格式不正确（应为 4 位数字）"),
    "category": gettext_lazy("报考类别代码缺失或格式不正确（应为 1～3 位字母或数字）"),
    "tags": gettext_lazy("考生标记不正确（最多 20 个，每个最多 32 个字）"),
}


class _Refused(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(code)
        self.code, self.reason = code, reason


@dataclass(frozen=True)
class RosterOutcome:
    number: int  # the record's place: its row in a sheet, its index (from 0) in a push
    reg_no: str
    result: str  # CREATED, UPDATED, UNCHANGED or REFUSED
    code: str = ""  # why it was refused, for machines: the first of `problems`
    reason: str = ""  # why it was refused, in Chinese: the first of `problems`
    problems: tuple[tuple[str, str], ...] = ()  # every (code, reason) of a refused record

    @property
    def reasons(self) -> list[str]:
        return [reason for _code, reason in self.problems]


@dataclass
class RosterReport:
    outcomes: list[RosterOutcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    @property
    def counts(self) -> dict[str, int]:
        return {r: self.count(r) for r in (CREATED, UPDATED, UNCHANGED, REFUSED)}

    @property
    def refused(self) -> list[RosterOutcome]:
        return [o for o in self.outcomes if o.result == REFUSED]


def roster_record_from_sheet(values: dict) -> dict:
    """A sheet row as a record of the API: the year a number, the ID type by its code or its
    Chinese name, the tags separated by ；、, or |."""
    record = {key: values.get(key, "") for key in RECORD_FIELDS}
    year = str(record["year"]).strip()
    record["year"] = int(year) if year.isascii() and year.isdigit() else year
    record["id_type"] = _ID_TYPES.get(record["id_type"], record["id_type"])
    tags = str(values.get("tags") or "")
    record["tags"] = [t.strip() for t in _TAG_SEPARATORS.split(tags) if t.strip()]
    if "mobile" in values:  # only a sheet with the column says anything about it
        record["mobile"] = mobile_from_sheet(str(values["mobile"] or ""))
    return record


def roster_mobile_of(record: dict) -> str | None:
    """The record's optional `mobile` (the number the registration system holds): None when
    the record has none (the candidate's is left as it is), "" when it is empty or null (the
    candidate's is cleared), else the 11-digit mainland mobile, checked as activation checks
    a phone. Raises _Refused for anything else."""
    if "mobile" not in record:
        return None
    value = record["mobile"]
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not MOBILE_RE.match(value):
        raise _Refused(
            "bad_mobile",
            _("手机号码“%(mobile)s”格式不正确（应为11位手机号码）") % {"mobile": value},
        )
    return value


def roster_upsert(
    *, records: list, province: Province | None = None, from_sheet: bool = False, now=None
) -> RosterReport:
    """Creates or updates each record's candidate. `province`, when given (an operator's
    import), refuses records of other provinces and candidates who belong to another one.
    Each record is written in its own transaction: a fault part-way loses nothing that was
    reported, and pushing the same roster again completes it."""
    now = now or timezone.now()
    report = RosterReport()
    prepared = []
    for index, raw in enumerate(records):
        number = raw.get("number", index) if from_sheet and isinstance(raw, dict) else index
        record = roster_record_from_sheet(raw) if from_sheet else raw
        reg_no = record.get("reg_no") if isinstance(record, dict) else None
        prepared.append((number, record, reg_no if isinstance(reg_no, str) else ""))
    seen: dict[tuple, int] = {}
    for _number, record, reg_no in prepared:
        if isinstance(record, dict):
            key = (record.get("year"), reg_no)
            seen[key] = seen.get(key, 0) + 1
    lookups = _Lookups()
    for number, record, reg_no in prepared:
        if not isinstance(record, dict):
            problems = [("malformed", _("记录应为 JSON 对象"))]
            report.outcomes.append(_refusal(number, reg_no, problems))
            continue
        problems, mobile = _record_problems(
            record,
            lookups=lookups,
            scope=province,
            repeated=seen.get((record.get("year"), reg_no), 0) > 1,
        )
        if problems:
            report.outcomes.append(_refusal(number, reg_no, problems))
            continue
        data = SimpleNamespace(**registration_normalised(record))
        record_province, site, category = lookups.resolved(data)
        try:
            result = _upsert_one(
                data,
                province=record_province,
                site=site,
                category=category,
                exam_year=lookups.exam_year(data.year),
                scope=province,
                mobile=mobile,
                now=now,
            )
        except _Refused as refusal:
            report.outcomes.append(_refusal(number, reg_no, [(refusal.code, refusal.reason)]))
        else:
            report.outcomes.append(RosterOutcome(number, reg_no, result))
    return report


def _refusal(number: int, reg_no: str, problems: list[tuple[str, str]]) -> RosterOutcome:
    code, reason = problems[0]
    return RosterOutcome(number, reg_no, REFUSED, code, reason, tuple(problems))


def _record_problems(
    record: dict, *, lookups: _Lookups, scope: Province | None, repeated: bool
) -> tuple[list[tuple[str, str]], str | None]:
    """Every (code, reason) that refuses `record`, as the staff import lists every problem
    of a row, and its mobile (roster_mobile_of). A code is looked up only when well-formed."""
    bad = registration_field_problems(record)
    problems = [(f"bad_{field}", str(_FIELD_REASONS[field])) for field in bad]
    if repeated and "reg_no" not in bad and "year" not in bad:
        problems.append(
            ("duplicate", _("报名号 %(reg_no)s 在本批中重复") % {"reg_no": record["reg_no"]})
        )
    mobile = None
    try:
        mobile = roster_mobile_of(record)
    except _Refused as refusal:
        problems.append((refusal.code, refusal.reason))
    province = site = None
    if "province" not in bad:
        province = lookups.provinces.get(record["province"])
        if province is None:
            problems.append(
                ("unknown_province", _("考区代码 %(code)s 不存在") % {"code": record["province"]})
            )
    if "site" not in bad:
        site = lookups.site(record["site"])
        if site is None:
            problems.append(
                ("unknown_site", _("考点代码 %(code)s 不存在") % {"code": record["site"]})
            )
        elif province is not None and site.province_id != province.pk:
            problems.append(
                (
                    "site_not_in_province",
                    _("考点 %(site)s 不属于考区 %(province)s")
                    % {"site": record["site"], "province": record["province"]},
                )
            )
    if "category" not in bad and record["category"] not in lookups.categories:
        problems.append(
            (
                "unknown_category",
                _("报考类别代码 %(code)s 不存在") % {"code": record["category"]},
            )
        )
    if scope is not None and province is not None and province.pk != scope.pk:
        problems.append(
            (
                "other_province",
                _("考区代码 %(code)s 不是本考区（%(mine)s）")
                % {"code": record["province"], "mine": scope.name},
            )
        )
    return problems, mobile


class _Lookups:
    """Provinces, sites, categories and years by code, each read once per roster."""

    def __init__(self):
        self.provinces = {p.code: p for p in Province.objects.all()}
        self.sites: dict[str, TestSite | None] = {}
        self.categories = {c.code: c for c in ExamCategory.objects.all()}
        self.years: dict[int, ExamYear] = {}

    def site(self, code: str) -> TestSite | None:
        if code not in self.sites:
            self.sites[code] = TestSite.objects.filter(code=code).first()
        return self.sites[code]

    def resolved(self, data) -> tuple[Province, TestSite, ExamCategory]:
        """The codes of a record that _record_problems passed."""
        return self.provinces[data.province], self.site(data.site), self.categories[data.category]

    def exam_year(self, year: int) -> ExamYear:
        if year not in self.years:
            self.years[year], _created = ExamYear.objects.get_or_create(year=year)
        return self.years[year]


def _upsert_one(data, *, province, site, category, exam_year, scope, mobile, now) -> str:
    with transaction.atomic():
        candidate = (
            Candidate.objects.select_for_update()
            .filter(exam_year=exam_year, reg_no=data.reg_no)
            .first()
        )
        if candidate is None:
            try:
                with transaction.atomic():
                    candidate = Candidate(exam_year=exam_year, reg_no=data.reg_no)
                    registration_set(
                        candidate, claims=data, province=province, site=site, category=category
                    )
                    candidate.roster_mobile = mobile or ""
                    candidate.save()
            except IntegrityError:
                # Entered (or pushed) at this very moment: update the row that won instead.
                candidate = Candidate.objects.select_for_update().get(
                    exam_year=exam_year, reg_no=data.reg_no
                )
            else:
                candidate_event_create(candidate=candidate, action=CandidateEventAction.ROSTER)
                return CREATED
        if scope is not None and candidate.province_id != scope.pk:
            raise _Refused(
                "other_province_candidate", _("该考生属于其他考区，不能由本考区导入修改")
            )
        mobile_changed = mobile is not None and mobile != candidate.roster_mobile
        if mobile_changed:
            candidate.roster_mobile = mobile
        if not candidate.has_started:
            before = _registration_of(candidate)
            registration_set(
                candidate, claims=data, province=province, site=site, category=category
            )
            changed = [k for k, v in _registration_of(candidate).items() if before[k] != v]
            changed += ["mobile"] if mobile_changed else []
            if not changed:
                return UNCHANGED
            candidate.save(update_fields=[*REGISTRATION_COLUMNS, "roster_mobile", "updated_at"])
            candidate_event_create(
                candidate=candidate, action=CandidateEventAction.ROSTER, fields=changed
            )
            return UPDATED
        changes = registration_apply(
            candidate, claims=data, province=province, site=site, category=category
        )
        if not changes and not mobile_changed:
            return UNCHANGED
        if changes:
            candidate.registration_changes = registration_changes_merge(
                candidate.registration_changes, changes, now=now
            )
            candidate_event_create(
                candidate=candidate,
                action=CandidateEventAction.REGISTRATION_CHANGED,
                changes=changes,
                source="roster",
            )
        if mobile_changed:
            # Not shown to the candidate: the phone they verified is the one used.
            candidate_event_create(
                candidate=candidate,
                action=CandidateEventAction.ROSTER,
                fields=["mobile"],
                mobile=mask_phone(mobile),
            )
        candidate.save(
            update_fields=[
                *REGISTRATION_COLUMNS,
                "registration_changes",
                "roster_mobile",
                "updated_at",
            ]
        )
        return UPDATED


def _registration_of(candidate: Candidate) -> dict:
    return {
        "name": candidate.name,
        "id_type": candidate.id_type,
        # The keyed hash, not the cipher text: that differs on every encryption.
        "id_no": candidate.id_no_hash,
        "province": candidate.province_id,
        "site": candidate.site_id,
        "category": candidate.category_id,
        "tags": sorted(candidate.tags or []),
    }
