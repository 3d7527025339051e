"""Demo data for the review side (`manage.py seed_demo` calls this). Idempotent.

- the standard return reasons (national rows; the data migration adds them too);
- in each demo province, a few candidates of the first site (the one the demo site reviewer
  `site<code>` works for) uploaded generated photos through the real upload service and
  pipeline and are SUBMITTED, and one is already 考点通过, so that both reviewers have work.
Candidates that are no longer untouched DRAFTs are left alone.
"""

from __future__ import annotations

import io
import logging

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.enums import CandidateStatus, StaffRole, SubmitMode
from accounts.models import Candidate, ExamYear, Province, StaffProfile
from materials import services as material_services
from materials.processing import image_process
from materials.selectors import categories_for_candidate
from review import services
from review.models import ReturnReason
from review.reasons import STANDARD_RETURN_REASONS

logger = logging.getLogger(__name__)

SUBMITTED_PER_PROVINCE = 3
SITE_PASSED_PER_PROVINCE = 1
DEMO_PHONE = "13800000000"


def seed_return_reasons() -> int:
    created = 0
    for order, text in enumerate(STANDARD_RETURN_REASONS, start=1):
        _reason, made = ReturnReason.objects.get_or_create(
            province=None, text=text, defaults={"order": order * 10}
        )
        created += int(made)
    return created


def demo_photo(label: str, *, seed: int = 0) -> bytes:
    """A document-like JPEG well under 200 KB: a card with lines standing for text."""
    width, height = 1000, 680
    im = Image.new("RGB", (width, height), (236, 240, 246))
    draw = ImageDraw.Draw(im)
    hue = (seed * 53) % 200
    draw.rectangle(
        (40, 40, width - 40, height - 40), fill=(250, 250, 247), outline=(90, 90, 90), width=4
    )
    draw.rectangle((70, 80, 320, 400), fill=(200 - hue // 2, 210, 225), outline=(120, 120, 120))
    for row in range(9):
        y = 100 + row * 52
        draw.rectangle((360, y, width - 90 - (row * 37) % 200, y + 18), fill=(60, 60, 70))
    draw.text(
        (70, height - 110), label.encode("ascii", "ignore").decode() or "DEMO", fill=(30, 30, 30)
    )
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _activate(candidate: Candidate) -> None:
    now = timezone.now()
    fields = []
    for name, value in (
        ("phone", DEMO_PHONE),
        ("phone_verified_at", now),
        ("address", "演示地址"),
        ("registration_confirmed_at", now),
        ("consent_at", now),
        ("activated_at", now),
    ):
        if not getattr(candidate, name):
            setattr(candidate, name, value)
            fields.append(name)
    if fields:
        candidate.save(update_fields=[*fields, "updated_at"])


def _upload_required(candidate: Candidate) -> int:
    made = 0
    for n, category in enumerate(categories_for_candidate(candidate)):
        if not category.required:
            continue
        for i in range(max(category.min_count, 1)):
            data = demo_photo(f"{candidate.reg_no} {category.code} {i + 1}", seed=n + i)
            image = material_services.image_upload(
                candidate=candidate,
                category=category,
                file=SimpleUploadedFile(f"demo-{i + 1}.jpg", data, content_type="image/jpeg"),
            ).image
            # The demo has no worker to wait for: make the watermarked copy now (idempotent).
            image_process(image_id=image.pk)
            made += 1
    return made


def _demo_site_reviewer(province: Province):
    profile = (
        StaffProfile.objects.filter(role=StaffRole.SITE_REVIEWER, province=province)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return profile.user if profile else None


def seed_demo_review(*, exam_year: ExamYear, provinces=None) -> dict[str, int]:
    report = {"reasons": seed_return_reasons(), "submitted": 0, "site_passed": 0}
    if provinces is None:
        provinces = Province.objects.filter(
            pk__in=Candidate.objects.filter(exam_year=exam_year).values("province_id")
        )
    for province in provinces:
        site = province.sites.order_by("code").first()
        if site is None:
            continue
        # Only candidates nobody has touched: DRAFT and without photos.
        already = (
            Candidate.objects.filter(exam_year=exam_year, site=site)
            .exclude(status=CandidateStatus.DRAFT)
            .count()
        )
        wanted = SUBMITTED_PER_PROVINCE + SITE_PASSED_PER_PROVINCE - already
        if wanted <= 0:
            continue
        fresh = list(
            Candidate.objects.filter(exam_year=exam_year, site=site, status=CandidateStatus.DRAFT)
            .filter(images__isnull=True)
            .select_related("province", "exam_year", "site", "category")
            .order_by("reg_no")[:wanted]
        )
        for candidate in fresh:
            _activate(candidate)
            if not _upload_required(candidate):
                continue
            candidate.refresh_from_db()
            if candidate.status == CandidateStatus.DRAFT:
                if province.submit_mode == SubmitMode.EXPLICIT:
                    services.candidate_submit(candidate=candidate)
                else:
                    services.candidate_autosubmit(candidate=candidate)
            if candidate.status == CandidateStatus.SUBMITTED:
                report["submitted"] += 1
        reviewer = _demo_site_reviewer(province)
        passed = Candidate.objects.filter(
            exam_year=exam_year, site=site, status=CandidateStatus.SITE_PASSED
        ).count()
        if reviewer is not None and passed < SITE_PASSED_PER_PROVINCE:
            last = (
                Candidate.objects.filter(
                    exam_year=exam_year, site=site, status=CandidateStatus.SUBMITTED
                )
                .order_by("-reg_no")
                .first()
            )
            if last is not None:
                services.images_approve_remaining(candidate=last, by=reviewer)
                services.candidate_site_pass(candidate=last, by=reviewer)
                report["site_passed"] += 1
                report["submitted"] -= 1
    return report
