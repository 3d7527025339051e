from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminFileWidget
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext

from accounts.admin import ProvinceAdmin as AccountsProvinceAdmin
from accounts.admin_scoping import (
    ProvinceScopedAdmin,
    ReadOnlyScopedAdmin,
    admin_province_of,
    is_national,
)
from accounts.enums import KNOWN_TAGS
from accounts.models import ExamYear, Province

from .enums import DEFAULT_MAX_BYTES
from .models import MaterialCategory, MaterialImage
from .services import category_copy_template, image_reprocess
from .validation import (
    ATTACHMENT_MAX_BYTES,
    EXAMPLE_MAX_BYTES,
    attachment_check,
    example_image_check,
)
from .watermark import missing_glyphs

FORMAT_CHOICES = [("jpeg", "JPG / JPEG"), ("png", "PNG")]
MIN_BYTES, MAX_BYTES = 20 * 1024, 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".txt", ".png", ".jpg", ".jpeg")
IMAGE_FILE_FIELDS = ("original", "display", "thumbnail")


class TagsField(forms.CharField):
    """Candidate tags as one line: 港澳台、外籍 (separated by 、 , ， or spaces)."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return "、".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        for sep in (",", "，", " ", "\u3000", ";", "；"):
            text = text.replace(sep, "、")
        return [t for t in dict.fromkeys(part.strip() for part in text.split("、")) if t]


@dataclass(frozen=True)
class _LinkedFile:
    name: str
    url: str

    def __str__(self) -> str:
        return self.name


class ViewLinkedFileWidget(AdminFileWidget):
    """The admin's file input, linking the current file to the view that serves it. Stored
    files have no public URL (MEDIA_URL is None: everything goes through a view), so the
    stock widget, which asks the storage for `file.url`, fails on every saved file. The form
    sets `link` (None: show the name only)."""

    template_name = "admin/materials/linked_file_input.html"
    link: str | None = None

    def is_initial(self, value) -> bool:
        return bool(value and getattr(value, "name", None))

    def format_value(self, value):
        if self.is_initial(value):
            return _LinkedFile(name=value.name.rsplit("/", 1)[-1], url=self.link or "")
        return None


class MaterialCategoryForm(forms.ModelForm):
    formats = forms.MultipleChoiceField(
        label=_("允许的格式"),
        choices=FORMAT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["jpeg", "png"],
    )
    tags = TagsField(
        label=_("适用考生标记"),
        required=False,
        # Formatted lazily: a % here would fix the text in the language of import time.
        help_text=format_lazy(
            _("空为全部考生；否则考生有其一即适用。用顿号分隔。常用：{tags}"),
            tags="、".join(KNOWN_TAGS),
        ),
    )
    excluded_tags = TagsField(
        label=_("不适用考生标记"),
        required=False,
        help_text=_("考生有其一即不适用。用顿号分隔。"),
    )

    class Meta:
        model = MaterialCategory
        fields = (
            "exam_year",
            "province",
            "code",
            "name",
            "instructions",
            "name_en",
            "instructions_en",
            "order",
            "required",
            "min_count",
            "max_count",
            "max_bytes",
            "formats",
            "is_other",
            "precheck",
            "example_image",
            "attachment",
            "attachment_name",
            "attachment_name_en",
            "exam_categories",
            "tags",
            "excluded_tags",
            "is_active",
        )
        widgets = {"example_image": ViewLinkedFileWidget, "attachment": ViewLinkedFileWidget}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The public views serve active categories only (an inactive one: the name alone).
        category = self.instance
        if category.pk and category.is_active:
            for field, url_name in (("example_image", "example"), ("attachment", "attachment")):
                if field in self.fields:
                    self.fields[field].widget.link = reverse(
                        f"materials:{url_name}", kwargs={"category_id": category.pk}
                    )

    def clean_max_bytes(self):
        value = self.cleaned_data["max_bytes"]
        if not MIN_BYTES <= value <= MAX_BYTES:
            raise forms.ValidationError(
                _("单张最大字节数应在 %(min)s 与 %(max)s 之间（默认 %(default)s，即 200 KB）。")
                % {
                    "min": f"{MIN_BYTES:,}",
                    "max": f"{MAX_BYTES:,}",
                    "default": f"{DEFAULT_MAX_BYTES:,}",
                }
            )
        return value

    @staticmethod
    def _new_upload(file) -> bool:
        # A file posted now (an UploadedFile), not the one already stored.
        return bool(file) and getattr(file, "content_type", None) is not None

    @staticmethod
    def _read(file, limit: int) -> bytes:
        file.seek(0)
        data = file.read(limit + 1)
        file.seek(0)
        return data

    def clean_example_image(self):
        file = self.cleaned_data.get("example_image")
        if self._new_upload(file):
            checked = example_image_check(data=self._read(file, EXAMPLE_MAX_BYTES), name=file.name)
            # Stored (and served) under the extension of what it is.
            file.name = f"example{checked.extension}"
        return file

    def clean_attachment(self):
        file = self.cleaned_data.get("attachment")
        if self._new_upload(file):
            name = file.name.lower()
            if not name.endswith(ATTACHMENT_EXTENSIONS):
                raise forms.ValidationError(
                    _("附件格式应为：%(exts)s。") % {"exts": " ".join(ATTACHMENT_EXTENSIONS)}
                )
            if file.size > ATTACHMENT_MAX_BYTES:
                raise forms.ValidationError(_("附件不能超过 5 MB。"))
            attachment_check(data=self._read(file, ATTACHMENT_MAX_BYTES), name=name)
        return file

    def clean(self):
        data = super().clean()
        low, high = data.get("min_count"), data.get("max_count")
        if low is not None and high is not None:
            if high < 1:
                self.add_error("max_count", _("最多张数至少为 1。"))
            elif low > high:
                self.add_error("min_count", _("最少张数不能大于最多张数。"))
            if data.get("required") and low == 0:
                self.add_error("min_count", _("必传材料的最少张数至少为 1。"))
        if data.get("attachment") and not data.get("attachment_name"):
            data["attachment_name"] = data.get("name", "")
        overlap = set(data.get("tags") or []) & set(data.get("excluded_tags") or [])
        if overlap:
            self.add_error(
                "excluded_tags",
                _("标记不能同时适用与不适用：%(tags)s。") % {"tags": "、".join(overlap)},
            )
        return data


class CategoryScopeFilter(admin.SimpleListFilter):
    """The national template's rows or the provinces' own (the 范围 column)."""

    title = _("范围")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("national", _("全国模板")), ("province", _("考区"))]

    def queryset(self, request, queryset):
        if self.value() == "national":
            return queryset.filter(province__isnull=True)
        if self.value() == "province":
            return queryset.filter(province__isnull=False)
        return queryset


@admin.register(MaterialCategory)
class MaterialCategoryAdmin(ProvinceScopedAdmin):
    """Operators see their province's categories and read the national template (rows with
    no province); 「复制全国模板到本考区」 copies the template into their province."""

    form = MaterialCategoryForm
    province_field = "province"
    national_rows_visible = True
    list_display = (
        "localized_name",
        "scope",
        "exam_year",
        "required_mark",
        "counts",
        "size_kb",
        "applies",
        "order",
        "is_active",
    )
    list_filter = ("exam_year", CategoryScopeFilter, "required", "is_active", "is_other")
    list_select_related = ("province", "exam_year")
    search_fields = ("name", "name_en", "code")
    ordering = ("exam_year", "province__code", "order", "id")
    filter_horizontal = ("exam_categories",)
    actions = ["copy_template"]
    fieldsets = (
        (None, {"fields": ("exam_year", "province", "code", "name", "instructions", "order")}),
        # Optional: a candidate who reads English sees these, else the Chinese above.
        (
            _("英文（可选）"),
            {"fields": ("name_en", "instructions_en", "attachment_name_en")},
        ),
        (
            _("上传要求"),
            {"fields": ("required", "min_count", "max_count", "max_bytes", "formats", "is_other")},
        ),
        (_("示例与附件"), {"fields": ("example_image", "attachment", "attachment_name")}),
        (_("适用范围"), {"fields": ("exam_categories", "tags", "excluded_tags", "is_active")}),
        (_("机器预审"), {"fields": ("precheck",)}),
    )

    # Shown in place of the file fields on a page the user may only view (a national template
    # seen by an operator): Django would display a stored file through its storage URL, which
    # Yishen's files do not have; these link to the views that serve them.
    readonly_fields = ("example_image_link", "attachment_link")
    VIEW_ONLY_FILE_FIELDS = {"example_image": "example_image_link", "attachment": "attachment_link"}

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        # A new category is for the current year, or the only year there is.
        if "exam_year" not in initial:
            current = list(ExamYear.objects.filter(is_current=True)[:2])
            years = current or list(ExamYear.objects.all()[:2])
            if len(years) == 1:
                initial["exam_year"] = years[0].pk
        return initial

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        swap = self.VIEW_ONLY_FILE_FIELDS
        return [
            (name, {**options, "fields": tuple(swap.get(f, f) for f in options["fields"])})
            for name, options in fieldsets
        ]

    def _served_link(self, obj, field: str, url_name: str, label: str):
        if not getattr(obj, field) or not obj.is_active:
            return "—"
        url = reverse(f"materials:{url_name}", kwargs={"category_id": obj.pk})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, label)

    @admin.display(description=_("示例图片"))
    def example_image_link(self, obj):
        return self._served_link(obj, "example_image", "example", _("查看示例"))

    @admin.display(description=_("附件"))
    def attachment_link(self, obj):
        return self._served_link(
            obj, "attachment", "attachment", obj.attachment_name or _("下载附件")
        )

    @admin.display(description=_("材料名称"), ordering="name")
    def localized_name(self, obj):
        return obj.localized_name

    @admin.display(description=_("范围"), ordering="province__code")
    def scope(self, obj):
        return obj.province.name if obj.province_id else _("全国模板")

    @admin.display(description=_("必传"), boolean=True, ordering="required")
    def required_mark(self, obj):
        return obj.required

    @admin.display(description=_("张数"))
    def counts(self, obj):
        return f"{obj.min_count}–{obj.max_count}"

    @admin.display(description=_("大小上限"), ordering="max_bytes")
    def size_kb(self, obj):
        return f"{obj.max_bytes / 1024:.0f} KB"

    @admin.display(description=_("适用考生"))
    def applies(self, obj):
        parts = []
        if obj.tags:
            parts.append(_("仅：%(t)s") % {"t": "、".join(obj.tags)})
        if obj.excluded_tags:
            parts.append(_("除：%(t)s") % {"t": "、".join(obj.excluded_tags)})
        return format_html("{}", pgettext("clause separator", "；").join(parts) or _("全部"))

    @admin.action(description=_("复制全国模板到本考区"))
    def copy_template(self, request, queryset):
        years = {row.exam_year for row in queryset.select_related("exam_year")}
        if not years:
            current = ExamYear.objects.filter(is_current=True).first()
            years = {current} if current else set()
        own = admin_province_of(request)
        if own is not None:
            provinces = [own]
        elif is_national(request):
            provinces = list({row.province for row in queryset if row.province_id})
            if not provinces:
                self.message_user(
                    request,
                    _(
                        "请勾选目标考区的任意一行材料类别（国家级管理员需指明考区），或由考区管理员操作。"
                    ),
                    messages.WARNING,
                )
                return
        else:
            return
        created = 0
        for province in provinces:
            for year in years:
                created += category_copy_template(province=province, exam_year=year)
        self.message_user(
            request,
            ngettext(
                "已从全国模板复制 %(n)d 个材料类别（已有的同代码类别保持不变）。",
                "已从全国模板复制 %(n)d 个材料类别（已有的同代码类别保持不变）。",
                created,
            )
            % {"n": created},
            messages.SUCCESS,
        )


@admin.register(MaterialImage)
class MaterialImageAdmin(ReadOnlyScopedAdmin):
    """Read-only: photos change through the candidate's page and the review workbench.
    Failed processing can be queued again here."""

    province_field = "candidate__province"
    operator_can_edit = False
    list_display = (
        "pk",
        "candidate",
        "category",
        "status",
        "processing",
        "uploaded_at",
        "removed_at",
    )
    list_filter = ("status", "processing")
    list_select_related = ("candidate", "category")
    raw_id_fields = ("candidate", "category", "replaces", "decided_by")
    search_fields = ("candidate__reg_no", "candidate__name")
    actions = ["reprocess"]
    # The stored files are shown as links to the permission-checked view that serves them
    # (and audits every staff view); they have no storage URL.
    exclude = IMAGE_FILE_FIELDS
    readonly_fields = [
        *(
            f.name
            for f in MaterialImage._meta.get_fields()
            if f.concrete and f.name not in IMAGE_FILE_FIELDS
        ),
        "original_link",
        "display_link",
        "thumbnail_link",
    ]

    def _file_link(self, obj: MaterialImage, field: str, variant: str):
        if not getattr(obj, field):
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("materials:image", kwargs={"pk": obj.pk, "variant": variant}),
            _("查看"),
        )

    @admin.display(description=_("原图"))
    def original_link(self, obj: MaterialImage):
        return self._file_link(obj, "original", "original")

    @admin.display(description=_("水印图"))
    def display_link(self, obj: MaterialImage):
        return self._file_link(obj, "display", "display")

    @admin.display(description=_("缩略图"))
    def thumbnail_link(self, obj: MaterialImage):
        return self._file_link(obj, "thumbnail", "thumb")

    @admin.action(description=_("重新处理（水印、缩略图）"))
    def reprocess(self, request, queryset):
        n = 0
        for image in queryset.filter(processing="failed"):
            image_reprocess(image=image)
            n += 1
        self.message_user(
            request,
            ngettext("已重新排队处理 %(n)d 张。", "已重新排队处理 %(n)d 张。", n) % {"n": n},
            messages.SUCCESS,
        )


class ProvinceWatermarkForm(forms.ModelForm):
    class Meta:
        model = Province
        fields = ["watermark_text"]  # the admin adds the fieldsets' fields

    def clean_watermark_text(self):
        text = self.cleaned_data["watermark_text"]
        missing = missing_glyphs(text)
        if missing:
            raise forms.ValidationError(
                _("水印字体没有这些字，会印成方框：%(chars)s。请换用常用字。"),
                code="missing_glyphs",
                params={"chars": "、".join(missing)},
            )
        return text


# The province's watermark text is printed by this app's pipeline with its font: the
# province admin (accounts) gets the check here, so that accounts imports nothing of materials.
admin.site.unregister(Province)


@admin.register(Province)
class ProvinceAdmin(AccountsProvinceAdmin):
    form = ProvinceWatermarkForm
