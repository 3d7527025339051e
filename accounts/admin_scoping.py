"""Operators (考区管理员) work in the admin on their own province only. Every admin class of
Yishen mixes this in and names how its rows reach a province (`province_field`). Who counts
as national staff and which province an operator has come from the one scope rule,
accounts.selectors.staff_scope: national staff see everything, an operator their province."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from .enums import StaffRole
from .models import Province, TestSite
from .selectors import StaffScope, staff_scope_of


def _operator_scope(request) -> StaffScope | None:
    """The scope of an operator with a province, else None."""
    scope = staff_scope_of(request.user)
    if scope.role != StaffRole.OPERATOR or scope.province_id is None:
        return None
    return scope


def admin_province_of(request) -> Province | None:
    scope = _operator_scope(request)
    return scope.profile.province if scope is not None else None


def is_national(request) -> bool:
    return request.user.is_superuser or staff_scope_of(request.user).everything


def is_operator(request) -> bool:
    return _operator_scope(request) is not None


class ProvinceScopedAdmin(admin.ModelAdmin):
    """Superusers and national staff see everything; an operator sees the rows of their
    province and can only choose their province's sites. `province_field` is the lookup
    from the model to its Province ("province", "site__province", "candidate__province");
    None means a national table that operators may only read."""

    province_field: str | None = "province"
    operator_can_edit = True
    # Rows with no province (national templates) that operators may read but not change.
    national_rows_visible = False

    def _allowed(self, request) -> bool:
        return is_national(request) or is_operator(request)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and self._allowed(request)

    def has_view_permission(self, request, obj=None):
        if not (request.user.is_staff and self._allowed(request)):
            return False
        return obj is None or self._obj_in_scope(request, obj, for_change=False)

    def has_change_permission(self, request, obj=None):
        if is_national(request):
            return True
        if not (is_operator(request) and self.operator_can_edit and self.province_field):
            return False
        return obj is None or self._obj_in_scope(request, obj, for_change=True)

    def has_add_permission(self, request):
        if is_national(request):
            return True
        return is_operator(request) and self.operator_can_edit and bool(self.province_field)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if is_national(request):
            return qs
        operator = _operator_scope(request)
        if operator is None:
            return qs.none()
        if self.province_field is None:
            return qs
        scoped = qs.filter(**{self.province_field: operator.province_id})
        if self.national_rows_visible:
            scoped = scoped | qs.filter(**{f"{self.province_field}__isnull": True})
        return scoped

    def _obj_in_scope(self, request, obj, *, for_change: bool) -> bool:
        if is_national(request):
            return True
        operator = _operator_scope(request)
        if operator is None:
            return False
        if self.province_field is None:
            return not for_change
        value = obj
        for part in self.province_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                break
        if value is None:
            return self.national_rows_visible and not for_change
        return value.pk == operator.province_id

    # Outside the operator's scope (absent from get_queryset) a row is answered as if it did
    # not exist: 404, on each of the documented views that open one row (Django's own answer
    # to a missing row is a redirect to the admin index with a message naming the id).

    def _require_in_queryset(self, request, object_id) -> None:
        try:
            found = self.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, ValidationError):  # not a valid id for this model
            found = False
        if not found:
            raise Http404(_("没有找到该记录。"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_in_queryset(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._require_in_queryset(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_queryset(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        operator = None if is_national(request) else _operator_scope(request)
        if operator is not None:
            if db_field.related_model is Province:
                kwargs["queryset"] = Province.objects.filter(pk=operator.province_id)
                kwargs.setdefault("initial", operator.province_id)
                # Operators write into their province only: an empty province would make a
                # national row, offered to every province; only national staff make those.
                kwargs["required"] = True
                kwargs["empty_label"] = None
            elif db_field.related_model is TestSite:
                kwargs["queryset"] = TestSite.objects.filter(province_id=operator.province_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The forms offer an operator nothing outside their province; this refuses whatever
        # reaches the save anyway (a crafted post, a form field added later).
        if not self._obj_in_scope(request, obj, for_change=True):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class ReadOnlyScopedAdmin(ProvinceScopedAdmin):
    """Rows only the system writes (photos, the audit trail, feedback): shown within the
    scope, never added, changed or deleted through the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
