from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.enums import ReviewLevel
from accounts.models import Candidate, Province
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
    """The audit trail: every state change and decision, who made it, from where."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="events")
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


class ReviewClaim(models.Model):
    """Who is looking at a candidate now; expires by itself."""

    candidate = models.OneToOneField(
        Candidate, on_delete=models.CASCADE, primary_key=True, related_name="claim"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("审核领取")
        verbose_name_plural = _("审核领取")

    def __str__(self) -> str:
        return f"{self.candidate_id} → {self.reviewer_id}"
