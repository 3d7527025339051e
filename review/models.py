from __future__ import annotations

import contextlib
import datetime as dt

import pgtrigger
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.enums import CandidateStatus, ReviewLevel, StaffRole
from accounts.models import Candidate, Province, TestSite
from materials.models import MaterialImage

from . import chain
from .enums import ActorKind, EventAction


class ReturnReason(models.Model):
    """Standard return reasons; a row with no province is offered to every province."""

    province = models.ForeignKey(
        Province, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("考区")
    )
    text = models.CharField(_("退回原因"), max_length=100)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("标准退回原因")
        verbose_name_plural = _("标准退回原因")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def label(self) -> str:
        """The text in the reader's language: the national reasons are in the catalogue
        (review/reasons.py); a province's own reasons show as the operator wrote them."""
        return gettext(self.text)


class AuditRowImmutable(Exception):
    """Audit rows are written once and never changed or deleted (PostgreSQL refuses it too,
    by the triggers below; this says it on every database, SQLite included)."""


class ReviewEventQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if not objs:
            return objs
        return _chain_append(
            objs, lambda: super(ReviewEventQuerySet, self).bulk_create(objs, *args, **kwargs)
        )

    def update(self, **kwargs):
        raise AuditRowImmutable("audit rows are never changed")

    def delete(self):
        raise AuditRowImmutable("audit rows are never deleted")


class ReviewEvent(models.Model):
    """The audit trail: every state change and decision and every staff view of a candidate
    or a photo, who made it (with the name and role they had then), from where. Rows are
    only ever added: PostgreSQL refuses UPDATE and DELETE (the triggers in Meta), they are
    never deleted with a candidate (PROTECT), and each holds the hash of the row before it
    (review.chain; `manage.py audit_verify` walks the chain)."""

    # PROTECT: a candidate with an audit trail is not deleted (the purge of an exam year
    # blanks the personal fields and keeps the row). Rows about staff accounts rather than
    # a candidate (a second factor reset) have none.
    candidate = models.ForeignKey(
        Candidate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("考生"),
    )
    # The photo's id stays in the row when the photo goes (a candidate deletes a pending
    # one; the purge deletes them all): no constraint, nothing written to the audit row.
    image = models.ForeignKey(
        MaterialImage,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("材料图片"),
    )
    actor_kind = models.CharField(_("操作人类型"), max_length=16, choices=ActorKind.choices)
    # Staff accounts with an audit trail are deactivated, not deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人账号"),
    )
    # The actor's name and role as they were at the time (the history shows these).
    actor_name = models.CharField(
        _("操作人"), max_length=150, blank=True, default="", db_default=""
    )
    role = models.CharField(_("角色"), max_length=32, blank=True)
    action = models.CharField(_("操作"), max_length=32, choices=EventAction.choices)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    created_at = models.DateTimeField(
        _("时间"), default=timezone.now, editable=False, db_index=True
    )
    # The hash chain (review.chain): the previous row's row_hash, and this row's.
    prev_hash = models.CharField(
        _("上一条哈希"), max_length=64, blank=True, default="", db_default=""
    )
    row_hash = models.CharField(_("本条哈希"), max_length=64, blank=True, default="", db_default="")

    objects = ReviewEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["candidate", "created_at"], name="event_cand_created")]
        triggers = [
            pgtrigger.Protect(
                name="reviewevent_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditRowImmutable("audit rows are never changed")
        _chain_append([self], lambda: super(ReviewEvent, self).save(*args, **kwargs))

    def delete(self, *args, **kwargs):
        raise AuditRowImmutable("audit rows are never deleted")

    @property
    def role_label(self) -> str:
        return str(StaffRole(self.role).label) if self.role in StaffRole.values else self.role

    def seal(self, prev_hash: str) -> None:
        """Fills what the row records of its moment (the actor's name, the address in its
        stored form) and its place in the chain after the row whose hash is `prev_hash`."""
        if self.actor_id is not None and not self.actor_name:
            self.actor_name = (self.actor.get_full_name() or self.actor.get_username())[:150]
        self.ip_address = chain.ip_normalised(self.ip_address)
        self.data = self.data or {}
        self.prev_hash = prev_hash
        self.row_hash = chain.row_digest(
            prev_hash, {name: getattr(self, name) for name in chain.HASHED_FIELDS}
        )


class AuditChainHeadManager(models.Manager):
    def locked(self) -> AuditChainHead:
        """The head, locked for the rest of the transaction: the audit rows are chained one
        writer at a time, in the order of their ids (PostgreSQL: the row lock; SQLite has
        one writer at a time anyway). Made when missing (a new or emptied database)."""
        for _attempt in range(3):
            # get(), not filter().first(): the one row by its key needs no ORDER BY (on every
            # audit row).
            with contextlib.suppress(AuditChainHead.DoesNotExist):
                return self.select_for_update().get(pk=AuditChainHead.PK)
            last = ReviewEvent.objects.order_by("-id").values_list("id", "row_hash").first()
            try:
                # A savepoint: another writer may make it at the same moment.
                with transaction.atomic():
                    self.create(
                        pk=AuditChainHead.PK,
                        last_event_id=last[0] if last else None,
                        last_hash=last[1] if last else chain.GENESIS,
                    )
            except IntegrityError:
                pass
        raise RuntimeError("the audit chain head could not be locked")


class AuditChainHead(models.Model):
    """The end of the audit chain: the last row's id and hash. Every audit row is written
    with this row locked, and `audit_verify` checks that the last row is the one named
    here (removing the last rows of a chain leaves the rest intact)."""

    PK = 1

    last_event_id = models.BigIntegerField(_("末条记录号"), null=True, blank=True)
    last_hash = models.CharField(_("末条哈希"), max_length=64, default=chain.GENESIS)

    objects = AuditChainHeadManager()

    class Meta:
        verbose_name = _("审核记录链")
        verbose_name_plural = _("审核记录链")
        triggers = [pgtrigger.Protect(name="auditchainhead_kept", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.last_event_id} {self.last_hash[:12]}"


def _chain_append(events: list[ReviewEvent], insert):
    """Chains `events` after the last row and inserts them (by `insert`), in one transaction
    with the caller's (no savepoint: a failure rolls back the caller's change with it)."""
    with transaction.atomic(savepoint=False):
        # Locks in one order everywhere: the candidate rows, then the chain head. Decisions
        # lock their candidate first; a row's foreign key takes a share lock on its
        # candidate at commit. A writer that took the head first could wait at its commit
        # for a decision that holds the candidate and waits for the head (a deadlock).
        list(
            Candidate.objects.select_for_update(no_key=True)
            .filter(pk__in=sorted({event.candidate_id for event in events} - {None}))
            .values_list("pk", flat=True)
        )
        head = AuditChainHead.objects.locked()
        prev = head.last_hash
        for event in events:
            event.seal(prev)
            prev = event.row_hash
        result = insert()
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_event_id=events[-1].pk, last_hash=prev
        )
    return result


class Feedback(models.Model):
    """审核意见: what the candidate reads at the top of the material page."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("考生")
    )
    level = models.CharField(_("审核级别"), max_length=16, choices=ReviewLevel.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    action = models.CharField(_("操作"), max_length=32, choices=EventAction.choices)
    message = models.TextField(_("说明"), blank=True)
    # [{"category": name, "image_id": id, "reason": text}, ...]
    items = models.JSONField(_("退回项目"), default=list, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审核意见")
        verbose_name_plural = _("审核意见")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["candidate", "created_at"], name="feedback_cand_created")]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.action}"


class ReviewNote(models.Model):
    """An internal note among reviewers; never shown to the candidate."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="review_notes", verbose_name=_("考生")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("填写人"),
    )
    text = models.TextField(_("备注内容"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("内部备注")
        verbose_name_plural = _("内部备注")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:30]


class ReviewClaimManager(models.Manager):
    """Claims change by compare-and-swap: each write says in its condition whose claim it
    may touch, and its row count tells whether it did."""

    def take(self, *, candidate_id: int, reviewer_id: int, now: dt.datetime) -> bool:
        """Takes or extends the claim for MINUTES unless another reviewer holds an unexpired
        one. True when the claim is now the caller's."""
        until = now + dt.timedelta(minutes=self.model.MINUTES)
        mine_or_expired = Q(reviewer_id=reviewer_id) | Q(expires_at__lte=now)
        if (
            self.filter(mine_or_expired, candidate_id=candidate_id).update(
                reviewer_id=reviewer_id, expires_at=until
            )
            == 1
        ):
            return True
        try:
            # A savepoint: losing the race for a new claim must not break the caller's
            # transaction.
            with transaction.atomic():
                self.create(candidate_id=candidate_id, reviewer_id=reviewer_id, expires_at=until)
        except IntegrityError:  # someone else's claim exists
            return False
        return True

    def held_by_other(self, *, candidate_id: int, reviewer_id: int, now: dt.datetime):
        """Another reviewer's unexpired claim on the candidate (with the reviewer), or None."""
        return (
            self.filter(candidate_id=candidate_id, expires_at__gt=now)
            .exclude(reviewer_id=reviewer_id)
            .select_related("reviewer")
            .first()
        )

    def end(self, *, candidate_id: int, reviewer_id: int, now: dt.datetime):
        """A candidate decision ends the claim: the caller's or an expired one is deleted;
        another reviewer's running claim is returned (the caller refuses the decision)."""
        mine_or_expired = Q(reviewer_id=reviewer_id) | Q(expires_at__lte=now)
        deleted, _rows = self.filter(mine_or_expired, candidate_id=candidate_id).delete()
        if deleted:
            return None
        return self.held_by_other(candidate_id=candidate_id, reviewer_id=reviewer_id, now=now)


class ReviewClaim(models.Model):
    """Who is looking at a candidate now; expires by itself."""

    # How long opening a candidate keeps it for one reviewer; every action extends it.
    MINUTES = 5

    candidate = models.OneToOneField(
        Candidate,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="claim",
        verbose_name=_("考生"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("审核人"),
    )
    expires_at = models.DateTimeField(_("到期时间"))

    objects = ReviewClaimManager()

    class Meta:
        verbose_name = _("审核领取")
        verbose_name_plural = _("审核领取")

    def __str__(self) -> str:
        return f"{self.candidate_id} → {self.reviewer_id}"


class SiteStatusCountManager(models.Manager):
    def add(self, *, site_id: int, province_id: int, status: str, n: int) -> None:
        """Adds n (negative to subtract) to the count of (site, status)."""
        if self.filter(site_id=site_id, status=status).update(count=F("count") + n):
            return
        try:
            # A savepoint: a concurrent first row for the same key must not break the
            # caller's transaction; then the update above applies.
            with transaction.atomic():
                self.create(site_id=site_id, province_id=province_id, status=status, count=n)
        except IntegrityError:
            self.filter(site_id=site_id, status=status).update(count=F("count") + n)

    def move(self, *, site_id: int, province_id: int, before: str, after: str) -> None:
        """One candidate of the site went from `before` to `after`. The two rows are updated
        in a fixed order, so that two opposite moves at once cannot deadlock."""
        if before == after:
            return
        for status, n in sorted(((before, -1), (after, 1))):
            self.add(site_id=site_id, province_id=province_id, status=status, n=n)

    def recount(self) -> None:
        """Counts everything again from the candidates (after rows were written outside the
        ORM, e.g. a bulk import or the benchmark's seed)."""
        with transaction.atomic():
            self.all().delete()
            self.bulk_create(
                self.model(
                    site_id=row["site_id"],
                    province_id=row["province_id"],
                    status=row["status"],
                    count=row["n"],
                )
                for row in Candidate.objects.values("site_id", "province_id", "status")
                .annotate(n=Count("id"))
                .order_by()
            )

    def per_status(self, scope: Q) -> dict[str, int]:
        """Candidates per status among the counts selected by `scope` (the staff scope rule,
        accounts.selectors.staff_scope_q, applies as is: the counts carry the site and the
        province, as candidates do), every status present."""
        found = dict(self.filter(scope).values_list("status").annotate(n=Sum("count")).order_by())
        return {value: found.get(value) or 0 for value in CandidateStatus.values}


class SiteStatusCount(models.Model):
    """How many candidates of a test site are in each status, kept exact by the writes
    themselves: the candidate transition (review.services.transition) moves a candidate
    from one count to another in its own transaction, and review.apps counts creations,
    changes of site and deletions made through the ORM. The counts above the queue read a
    few rows per site instead of counting a province's candidates."""

    site = models.ForeignKey(
        TestSite, on_delete=models.CASCADE, related_name="+", verbose_name=_("考点")
    )
    # The site's province, as on the candidate: the scope filter of staff applies unchanged.
    province = models.ForeignKey(
        Province, on_delete=models.CASCADE, related_name="+", verbose_name=_("考区")
    )
    status = models.CharField(_("状态"), max_length=16, choices=CandidateStatus.choices)
    count = models.IntegerField(_("人数"), default=0)

    objects = SiteStatusCountManager()

    class Meta:
        verbose_name = _("考点状态人数")
        verbose_name_plural = _("考点状态人数")
        constraints = [
            models.UniqueConstraint(fields=["site", "status"], name="sitestatuscount_site_status")
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.status} {self.count}"
