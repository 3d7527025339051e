import datetime as dt

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from accounts.enums import CandidateStatus, ReviewLevel
from accounts.models import Candidate, Province, TestSite
from materials.models import MaterialImage

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


class ReviewEvent(models.Model):
    """The audit trail: every state change and decision, who made it, from where. Rows about
    staff accounts rather than a candidate (a second factor reset) have no candidate."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    image = models.ForeignKey(
        MaterialImage, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=32, choices=EventAction.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["candidate", "created_at"], name="event_cand_created")]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.action}"


class Feedback(models.Model):
    """审核意见: what the candidate reads at the top of the material page."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="feedback")
    level = models.CharField(max_length=16, choices=ReviewLevel.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=32, choices=EventAction.choices)
    message = models.TextField(blank=True)
    # [{"category": name, "image_id": id, "reason": text}, ...]
    items = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("审核意见")
        verbose_name_plural = _("审核意见")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["candidate", "created_at"], name="feedback_cand_created")]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.action}"


class ReviewNote(models.Model):
    """An internal note among reviewers; never shown to the candidate."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="review_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

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
        Candidate, on_delete=models.CASCADE, primary_key=True, related_name="claim"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField()

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

    site = models.ForeignKey(TestSite, on_delete=models.CASCADE, related_name="+")
    # The site's province, as on the candidate: the scope filter of staff applies unchanged.
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=CandidateStatus.choices)
    count = models.IntegerField(default=0)

    objects = SiteStatusCountManager()

    class Meta:
        verbose_name = _("考点状态人数")
        verbose_name_plural = _("考点状态人数")
        constraints = [
            models.UniqueConstraint(fields=["site", "status"], name="sitestatuscount_site_status")
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.status} {self.count}"
