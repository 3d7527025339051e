"""The purge of an exam year after its cycle (`manage.py purge_exam_year`): every photo and
derivative leaves the storage, the personal fields and the machine readings are cleared.
What stays: the candidate and photo rows with their province, site, category, status and
dates (the anonymous counts), and the audit trail, which is neither updated nor deleted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.enums import CandidateStatus
from accounts.models import Candidate, ExamYear, PhoneVerification, Province
from accounts.services.purge import candidates_personal_data_clear
from materials.models import MaterialImage, PhotoCheck
from materials.purge import YearFiles, year_files, year_files_delete, year_photo_data_clear
from notifications.models import Notification
from notifications.services import notifications_anonymise


@dataclass
class PurgeReport:
    year: int
    dry_run: bool
    candidates: int = 0
    images: int = 0
    files: YearFiles = field(default_factory=YearFiles)
    photo_checks: int = 0
    phone_verifications: int = 0
    notifications: int = 0
    # The anonymous counts that stay: (province, site, exam category, status, candidates).
    counts: list[tuple[str, str, str, str, int]] = field(default_factory=list)


def exam_year_purge_refusal(*, exam_year: ExamYear, now: datetime) -> str | None:
    """Why the year may not be purged yet, or None: an upload window of the current year
    still open, or candidates a reviewer has still to decide on (or who may still reply)."""
    if exam_year.is_current:
        open_provinces = (
            Province.objects.filter(candidate__exam_year=exam_year)
            .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
            .distinct()
            .order_by("code")
        )
        names = [str(p) for p in open_provinces]
        if names:
            return _("{year} 年度的上传期尚未结束：{provinces}。").format(
                year=exam_year.year, provinces=pgettext("list separator", "、").join(names)
            )
    pending = Candidate.objects.filter(exam_year=exam_year).filter(
        Q(status__in=(CandidateStatus.SUBMITTED, CandidateStatus.SITE_PASSED))
        | Q(status=CandidateStatus.RETURNED, reply_deadline__gt=now)
    )
    count = pending.count()
    if count:
        return _("{year} 年度仍有 {count} 名考生在审核中或仍可修改材料。").format(
            year=exam_year.year, count=count
        )
    return None


def exam_year_purge(*, year: int, dry_run: bool = False, now=None) -> PurgeReport:
    """Purges the year (see the module), or with dry_run only reports what a purge would
    remove. Refused (ValidationError, nothing changed) for an unknown year or one whose
    cycle is not over. Idempotent: a second run finds nothing more. Files go first, then
    the rows in one transaction, so that a failure half-way leaves rows that still name
    the remaining files and a second run finishes the work."""
    now = now or timezone.now()
    exam_year = ExamYear.objects.filter(year=year).first()
    if exam_year is None:
        raise ValidationError(_("没有 {year} 年度。").format(year=year), code="unknown")
    refusal = exam_year_purge_refusal(exam_year=exam_year, now=now)
    if refusal:
        raise ValidationError(refusal, code="open")

    candidates = Candidate.objects.filter(exam_year=exam_year)
    report = PurgeReport(year=year, dry_run=dry_run, files=year_files(exam_year=exam_year))
    report.counts = [
        (r["province__code"], r["site__code"], r["category__code"], r["status"], r["n"])
        for r in candidates.values("province__code", "site__code", "category__code", "status")
        .annotate(n=Count("id"))
        .order_by("province__code", "site__code", "category__code", "status")
    ]
    if dry_run:
        report.candidates = candidates.count()
        report.images = MaterialImage.objects.filter(candidate__exam_year=exam_year).count()
        report.photo_checks = PhotoCheck.objects.filter(exam_year=exam_year).count()
        report.phone_verifications = PhoneVerification.objects.filter(
            candidate__exam_year=exam_year
        ).count()
        report.notifications = Notification.objects.filter(candidate__exam_year=exam_year).count()
        return report

    year_files_delete(report.files)
    with transaction.atomic():
        photos = year_photo_data_clear(exam_year=exam_year)
        people = candidates_personal_data_clear(exam_year=exam_year)
        report.notifications = notifications_anonymise(candidates=candidates.values("pk"))
        ExamYear.objects.filter(pk=exam_year.pk).update(purged_at=now)
    report.images = photos["images"]
    report.photo_checks = photos["photo_checks"]
    report.candidates = people["candidates"]
    report.phone_verifications = people["phone_verifications"]
    return report
