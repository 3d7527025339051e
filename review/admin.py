"""Admin for the review side. Operators edit their province's standard return reasons and
read the national ones; the audit trail, the feedback and the notes are read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import CandidateAdmin as AccountsCandidateAdmin
from accounts.admin_scoping import ProvinceScopedAdmin, ReadOnlyScopedAdmin
from accounts.http import client_ip
from accounts.models import Candidate

from .exports import export_results_action, export_trail_action
from .models import Feedback, ReturnReason, ReviewEvent, ReviewNote
from .services import ADMIN, candidate_view_record


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
        "actor_display",
        "role_display",
        "ip_address",
    ]
    list_filter = ["action", "actor_kind"]
    list_select_related = ["candidate"]
    search_fields = ["candidate__reg_no", "actor_name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["candidate", "image", "actor"]
    show_full_result_count = False

    @admin.display(description=_("操作人"), ordering="actor_name")
    def actor_display(self, obj: ReviewEvent) -> str:
        """The name recorded at the time, not the account's name now."""
        return obj.actor_name or obj.get_actor_kind_display()

    @admin.display(description=_("角色"))
    def role_display(self, obj: ReviewEvent) -> str:
        return obj.role_label


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
    actions = [*AccountsCandidateAdmin.actions, export_results_action, export_trail_action]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A staff member's look at a candidate in the admin leaves an audit row (when the
        page is shown: the admin found the candidate in the staff member's scope)."""
        response = super().change_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None) or {}
        original = context.get("original")
        if request.method == "GET" and isinstance(original, Candidate):
            candidate_view_record(
                candidate=original, by=request.user, page=ADMIN, ip=client_ip(request)
            )
        return response
