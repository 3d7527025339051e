"""Admin for the review side. Operators edit their province's standard return reasons and
read the national ones; the audit trail, the feedback and the notes are read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import CandidateAdmin as AccountsCandidateAdmin
from accounts.admin_scoping import ProvinceScopedAdmin, ReadOnlyScopedAdmin
from accounts.models import Candidate

from .exports import export_results_action
from .models import Feedback, ReturnReason, ReviewEvent, ReviewNote


@admin.register(ReturnReason)
class ReturnReasonAdmin(ProvinceScopedAdmin):
    province_field = "province"
    # The national reasons (no province) are offered to every province: operators see them
    # but only national staff change them.
    national_rows_visible = True
    list_display = ["text", "scope", "order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["text"]
    ordering = ["province__code", "order", "id"]
    list_select_related = ["province"]

    @admin.display(description=_("适用范围"), ordering="province__code")
    def scope(self, obj: ReturnReason) -> str:
        return str(obj.province) if obj.province_id else str(_("全国（所有考区）"))


class ReadOnlyAdmin(ReadOnlyScopedAdmin):
    province_field = "candidate__province"


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "candidate",
        "action",
        "from_status",
        "to_status",
        "actor",
        "role",
        "ip_address",
    ]
    list_filter = ["action", "actor_kind"]
    list_select_related = ["candidate", "actor"]
    search_fields = ["candidate__reg_no"]
    date_hierarchy = "created_at"
    raw_id_fields = ["candidate", "image", "actor"]
    show_full_result_count = False


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "candidate", "level", "action", "author"]
    list_filter = ["level", "action"]
    list_select_related = ["candidate", "author"]
    search_fields = ["candidate__reg_no"]
    raw_id_fields = ["candidate", "author"]
    show_full_result_count = False


@admin.register(ReviewNote)
class ReviewNoteAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "candidate", "author", "text"]
    list_select_related = ["candidate", "author"]
    search_fields = ["candidate__reg_no"]
    raw_id_fields = ["candidate", "author"]
    show_full_result_count = False


# The results export is review's: the candidate admin (accounts) gets its action here, so
# that accounts imports nothing of review.
admin.site.unregister(Candidate)


@admin.register(Candidate)
class CandidateAdmin(AccountsCandidateAdmin):
    actions = [*AccountsCandidateAdmin.actions, export_results_action]
