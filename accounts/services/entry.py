"""The entry from the registration system: the nonce used once, the candidate found or
created, the registration data brought up to date (and what changed, for the material page).
A refusal is a ValidationError with a Chinese message and an EntryRefusal code."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..entry import CLOCK_SKEW_SECONDS, REGISTRATION_FIELDS, EntryClaims, EntryRefusal
from ..enums import CandidateEventAction
from ..models import Candidate, EntryNonce, ExamCategory, ExamYear, Province, TestSite, mask_id_no
from ..signals import required_material_names
from .events import candidate_event_create

logger = logging.getLogger(__name__)

# The columns of the token's registration fields: its "id_no" is stored encrypted and hashed
# (Candidate.id_no, accounts/idcrypt.py).
REGISTRATION_COLUMNS = tuple(
    column
    for name in REGISTRATION_FIELDS
    for column in (("id_no_cipher", "id_no_hash") if name == "id_no" else (name,))
)


@dataclass(frozen=True)
class EntryResult:
    candidate: Candidate
    created: bool
    changes: list[dict]


def _refuse(code: str, message: str) -> ValidationError:
    return ValidationError(message, code=code)


def candidate_enter(*, claims: EntryClaims, ip: str | None = None, now=None) -> EntryResult:
    """A verified entry token arrives: use up its nonce, find or create the candidate and
    bring the registration data up to date. Refusals (replay, unknown codes, province not
    open) raise ValidationError whose code is an EntryRefusal and change nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                EntryNonce.objects.create(nonce=claims.nonce)
        except IntegrityError:
            raise _refuse(EntryRefusal.REPLAYED, _("链接已使用过")) from None

        province = Province.objects.filter(code=claims.province).first()
        if province is None:
            raise _refuse(EntryRefusal.UNKNOWN_PROVINCE, _("考区代码无法识别"))
        if not province.entry_enabled:
            raise _refuse(EntryRefusal.ENTRY_DISABLED, _("本考区尚未开放在线审核"))
        site = TestSite.objects.filter(code=claims.site, province=province).first()
        if site is None:
            raise _refuse(EntryRefusal.UNKNOWN_SITE, _("考点代码无法识别"))
        category = ExamCategory.objects.filter(code=claims.category).first()
        if category is None:
            raise _refuse(EntryRefusal.UNKNOWN_CATEGORY, _("报考类别代码无法识别"))
        exam_year, _created = ExamYear.objects.get_or_create(year=claims.year)
        if exam_year.purged_at is not None:
            # The year's personal data is gone: an entry must not bring it back.
            raise _refuse(EntryRefusal.YEAR_PURGED, _("该年度的在线审核已结束"))

        candidate = (
            Candidate.objects.select_for_update()
            .filter(exam_year=exam_year, reg_no=claims.reg_no)
            .first()
        )
        if candidate is None:
            try:
                with transaction.atomic():
                    candidate = Candidate.objects.create(
                        exam_year=exam_year,
                        reg_no=claims.reg_no,
                        name=claims.name,
                        id_type=claims.id_type,
                        id_no=claims.id_no,
                        province=province,
                        site=site,
                        category=category,
                        tags=list(claims.tags),
                        last_entry_at=now,
                    )
            except IntegrityError:
                # The same candidate's other tab won the race: continue as a later entry.
                candidate = Candidate.objects.select_for_update().get(
                    exam_year=exam_year, reg_no=claims.reg_no
                )
            else:
                candidate_event_create(
                    candidate=candidate, action=CandidateEventAction.ENTRY_FIRST, ip=ip
                )
                return EntryResult(candidate=candidate, created=True, changes=[])

        if not candidate.has_started:
            # Pushed in a roster and entering for the first time: the token's registration
            # data is what the candidate knows; there is nothing to show them as changed.
            registration_set(
                candidate, claims=claims, province=province, site=site, category=category
            )
            candidate.last_entry_at = now
            candidate.save(update_fields=[*REGISTRATION_COLUMNS, "last_entry_at", "updated_at"])
            candidate_event_create(
                candidate=candidate, action=CandidateEventAction.ENTRY_FIRST, ip=ip
            )
            return EntryResult(candidate=candidate, created=True, changes=[])

        changes = registration_apply(
            candidate, claims=claims, province=province, site=site, category=category
        )
        candidate.last_entry_at = now
        update_fields = ["last_entry_at", "updated_at"]
        if changes:
            candidate.registration_changes = registration_changes_merge(
                candidate.registration_changes, changes, now=now
            )
            update_fields += [*REGISTRATION_COLUMNS, "registration_changes"]
            candidate_event_create(
                candidate=candidate,
                action=CandidateEventAction.REGISTRATION_CHANGED,
                ip=ip,
                changes=changes,
            )
        candidate.save(update_fields=update_fields)
        candidate_event_create(candidate=candidate, action=CandidateEventAction.ENTRY, ip=ip)
        return EntryResult(candidate=candidate, created=False, changes=changes)


def registration_set(candidate: Candidate, *, claims, province, site, category) -> None:
    """Sets the registration data on the instance (not saved). `claims` is anything with the
    registration fields (an EntryClaims, a roster record)."""
    candidate.name = claims.name
    candidate.id_type = claims.id_type
    candidate.id_no = claims.id_no
    candidate.province = province
    candidate.site = site
    candidate.category = category
    candidate.tags = list(claims.tags)


def registration_apply(
    candidate: Candidate, *, claims: EntryClaims, province, site, category
) -> list[dict]:
    """Sets the registration data from the token on the instance; returns what changed
    (shown to the candidate: ID numbers only masked)."""
    before_categories = _material_category_names(candidate)
    changes: list[dict] = []

    def change(field: str, old: str, new: str) -> None:
        if old != new:
            changes.append({"field": field, "old": old, "new": new})

    change("name", candidate.name, claims.name)
    change("id_type", candidate.id_type, claims.id_type)
    if candidate.id_no != claims.id_no:
        changes.append(
            {"field": "id_no", "old": mask_id_no(candidate.id_no), "new": mask_id_no(claims.id_no)}
        )
    change("province", str(candidate.province), str(province))
    change("site", str(candidate.site), str(site))
    # The record keeps the Chinese name whatever language the request reads (str() of an
    # exam category follows the reader).
    change(
        "category",
        f"{candidate.category.code} {candidate.category.name}",
        f"{category.code} {category.name}",
    )
    old_tags, new_tags = list(candidate.tags or []), list(claims.tags)
    if sorted(old_tags) != sorted(new_tags):
        changes.append({"field": "tags", "old": old_tags, "new": new_tags})

    if not changes:
        return []
    registration_set(candidate, claims=claims, province=province, site=site, category=category)

    if any(c["field"] in {"province", "category", "tags"} for c in changes):
        after_categories = _material_category_names(candidate)
        materials_change = {"field": "materials"}
        if before_categories is not None and after_categories is not None:
            materials_change["added"] = [n for n in after_categories if n not in before_categories]
            materials_change["removed"] = [
                n for n in before_categories if n not in after_categories
            ]
        changes.append(materials_change)
    return changes


def _material_category_names(candidate: Candidate) -> list[str] | None:
    """Names of the required material categories that apply to the candidate, as the
    materials app answers the signal; None without an answer or when an answer fails (the
    message then stays generic: it is a courtesy, never a reason to block an entry)."""
    names: list[str] | None = None
    for _receiver, answer in required_material_names.send_robust(
        sender=Candidate, candidate=candidate
    ):
        if isinstance(answer, Exception):
            logger.error(
                "required_material_names failed for candidate %s",
                candidate.pk,
                exc_info=(type(answer), answer, answer.__traceback__),
            )
            return None
        if answer is not None:
            names = [*(names or []), *answer]
    return names


def registration_changes_merge(previous: list, changes: list[dict], *, now) -> list[dict]:
    """Changes not yet dismissed are merged: per field the oldest "old" and newest "new"."""
    merged: dict[str, dict] = {}
    for item in list(previous or []) + changes:
        field = item.get("field")
        if field is None:
            continue
        if field == "materials":
            prior = merged.get("materials", {"field": "materials"})
            added = list(prior.get("added", []))
            removed = list(prior.get("removed", []))
            for name in item.get("added", []):
                if name in removed:
                    removed.remove(name)
                elif name not in added:
                    added.append(name)
            for name in item.get("removed", []):
                if name in added:
                    added.remove(name)
                elif name not in removed:
                    removed.append(name)
            entry = {"field": "materials"}
            if "added" in item or "added" in prior:
                entry.update(added=added, removed=removed)
            merged["materials"] = entry
            continue
        if field in merged:
            merged[field] = {**merged[field], "new": item["new"]}
        else:
            merged[field] = dict(item)
    result = [
        {**item, "at": now.isoformat()}
        for item in merged.values()
        if item["field"] == "materials" or item.get("old") != item.get("new")
    ]
    if all(item["field"] == "materials" for item in result):
        return []
    return result


def candidate_registration_changes_dismiss(*, candidate: Candidate) -> None:
    """The candidate has read the changes on the material page."""
    Candidate.objects.filter(pk=candidate.pk).update(registration_changes=[])
    candidate.registration_changes = []


def entry_nonces_purge(*, now=None) -> int:
    """Nonces older than a token's lifetime (plus the clock allowance) can never be replayed
    (the token is refused as expired first), so their rows may go."""
    now = now or timezone.now()
    horizon = now - timedelta(seconds=settings.YISHEN_ENTRY_TOKEN_SECONDS + 2 * CLOCK_SKEW_SECONDS)
    deleted, _details = EntryNonce.objects.filter(used_at__lt=horizon).delete()
    return deleted
