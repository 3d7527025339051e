import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import Candidate, ExamCategory, ExamYear, Province
from config.i18n import in_reader_language

from .enums import DEFAULT_MAX_BYTES, HintKind, ImageStatus, PrecheckRead, ProcessingState


def _default_formats() -> list[str]:
    return ["jpeg", "png"]


def example_upload_to(instance, filename: str) -> str:
    return f"examples/{uuid.uuid4().hex}{_suffix(filename)}"


def attachment_upload_to(instance, filename: str) -> str:
    return f"attachments/{uuid.uuid4().hex}{_suffix(filename)}"


def _suffix(filename: str) -> str:
    dot = filename.rfind(".")
    suffix = filename[dot:].lower() if dot != -1 else ""
    return suffix if suffix.isascii() and len(suffix) <= 6 else ""


class MaterialCategory(models.Model):
    """One slot on the upload page. A row with no province is the national template, which
    operators copy into their province and then edit."""

    exam_year = models.ForeignKey(ExamYear, on_delete=models.PROTECT, verbose_name=_("考试年度"))
    province = models.ForeignKey(
        Province,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="material_categories",
        verbose_name=_("考区"),
        help_text=_("留空为全国模板。"),
    )
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("材料名称"), max_length=64)
    name_en = models.CharField(
        _("材料名称（英文）"),
        max_length=100,
        blank=True,
        help_text=_("使用英文界面的考生看到的名称；留空时显示中文名称。"),
    )
    instructions = models.TextField(_("上传说明"), blank=True)
    instructions_en = models.TextField(
        _("上传说明（英文）"),
        blank=True,
        help_text=_("使用英文界面的考生看到的说明；留空时显示中文说明。"),
    )
    example_image = models.ImageField(_("示例图片"), upload_to=example_upload_to, blank=True)
    attachment = models.FileField(
        _("附件（需下载填写的表格）"), upload_to=attachment_upload_to, blank=True
    )
    attachment_name = models.CharField(_("附件名称"), max_length=100, blank=True)
    attachment_name_en = models.CharField(
        _("附件名称（英文）"),
        max_length=150,
        blank=True,
        help_text=_("使用英文界面的考生看到的附件名称；留空时显示中文附件名称。"),
    )
    required = models.BooleanField(_("必传"), default=False)
    min_count = models.PositiveSmallIntegerField(_("最少张数"), default=0)
    max_count = models.PositiveSmallIntegerField(_("最多张数"), default=5)
    max_bytes = models.PositiveIntegerField(_("单张最大字节数"), default=DEFAULT_MAX_BYTES)
    formats = models.JSONField(_("允许的格式"), default=_default_formats)
    exam_categories = models.ManyToManyField(
        ExamCategory,
        blank=True,
        verbose_name=_("适用报考类别"),
        help_text=_("不选为全部报考类别。"),
    )
    tags = models.JSONField(
        _("适用考生标记"),
        default=list,
        blank=True,
        help_text=_("空为全部考生；否则考生有其一即适用。"),
    )
    excluded_tags = models.JSONField(
        _("不适用考生标记"), default=list, blank=True, help_text=_("考生有其一即不适用。")
    )
    is_other = models.BooleanField(_("「其他」栏"), default=False)
    precheck = models.CharField(
        _("机器预审识别"),
        max_length=16,
        choices=PrecheckRead.choices,
        default=PrecheckRead.NONE,
        help_text=_("机器只给出提示，不作审核决定。照片质量与重复照片对所有类别都会检查。"),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("材料类别")
        verbose_name_plural = _("材料类别")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam_year", "province", "code"], name="material_category_code"
            ),
            models.UniqueConstraint(
                fields=["exam_year", "code"],
                condition=models.Q(province__isnull=True),
                name="material_template_code",
            ),
        ]

    def __str__(self) -> str:
        return self.localized_name

    # The texts in the reader's language, wherever a category is shown (config/i18n.py).
    # Records (audit events, feedback items, exports) keep the Chinese `name`.
    @property
    def localized_name(self) -> str:
        return in_reader_language(self.name, self.name_en)

    @property
    def localized_instructions(self) -> str:
        return in_reader_language(self.instructions, self.instructions_en)

    @property
    def localized_attachment_name(self) -> str:
        """The form's name, else the category's (as the download link has always read)."""
        return in_reader_language(self.attachment_name, self.attachment_name_en) or (
            self.localized_name
        )


# A photo and its derivatives are stored in a folder per exam year, e.g. "display/2026/…":
# the purge of a year (manage.py purge_exam_year) removes those folders whole, including a
# file that no row names any more. Rows written before this layout name files without the
# year; the purge removes those by their rows.
IMAGE_FOLDERS = ("originals", "display", "thumbs")


def image_file_name(folder: str, *, year: int, key: str | None = None, suffix: str = "") -> str:
    """A generated stored name (never the user's) in the year's folder."""
    return f"{folder}/{year}/{key or uuid.uuid4().hex}{suffix}"


def image_upload_to(instance, filename: str) -> str:
    return image_file_name("originals", year=instance.candidate.exam_year.year)


# The one order of a candidate's photos, wherever they are listed (the candidate's page and
# its upload answer, the review page, its filmstrip and J/K, the items of a return): by place
# in the category, then by id. A photo uploaded into a new place stands at its own id (so
# photos keep the order they were uploaded in); a replacement stands in the place of the
# returned photo it replaces (MaterialImage.place), not at the end of its category.
PHOTO_ORDER = (Coalesce("place", "id", output_field=models.BigIntegerField()), "id")


class MaterialImage(models.Model):
    """A candidate's photo. The original stays private; candidates and reviewers only ever
    see the processed (upright, metadata-free, watermarked) display file and thumbnail."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="images", verbose_name=_("考生")
    )
    category = models.ForeignKey(
        MaterialCategory,
        on_delete=models.PROTECT,
        related_name="images",
        verbose_name=_("材料类别"),
    )
    status = models.CharField(
        _("审核状态"), max_length=16, choices=ImageStatus.choices, default=ImageStatus.PENDING
    )
    return_reason = models.TextField(_("退回原因"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    processing = models.CharField(
        _("处理状态"),
        max_length=16,
        choices=ProcessingState.choices,
        default=ProcessingState.PROCESSING,
    )
    processing_error = models.CharField(_("处理错误"), max_length=200, blank=True)
    processing_attempts = models.PositiveSmallIntegerField(_("处理次数"), default=0)
    # The machine pre-check of the processed photo is due since then (set with READY, empty
    # once its result is stored): the candidate's page keeps polling for the quality advice
    # meanwhile, and the recovery sweep queues it again when its task was lost.
    precheck_due_at = models.DateTimeField(_("待机器预审时间"), null=True, blank=True)
    original = models.FileField(_("原图"), max_length=200, upload_to=image_upload_to)
    display = models.FileField(_("水印图"), max_length=200, blank=True)
    thumbnail = models.FileField(_("缩略图"), max_length=200, blank=True)
    image_format = models.CharField(_("格式"), max_length=8)
    size_bytes = models.PositiveIntegerField(_("字节数"))
    width = models.PositiveIntegerField(_("宽"), default=0)
    height = models.PositiveIntegerField(_("高"), default=0)
    sha256 = models.CharField(_("SHA-256 校验值"), max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    # Deleted by the candidate after a reviewer had seen it: kept for comparison.
    removed_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("替换的图片"),
    )
    # The id of the first photo that stood in this place of the category, for a replacement
    # (passed down a chain of replacements); empty for a photo uploaded into a new place, which
    # stands at its own id. See PHOTO_ORDER.
    place = models.PositiveBigIntegerField(_("位置"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("材料图片")
        verbose_name_plural = _("材料图片")
        ordering = PHOTO_ORDER
        indexes = [
            models.Index(fields=["candidate", "category", "removed_at"], name="image_cand_cat"),
            # The sweep's lookup: only the few photos whose pre-check is still due.
            models.Index(
                fields=["precheck_due_at"],
                name="image_precheck_due",
                condition=models.Q(precheck_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id}/{self.category_id}/{self.pk}"


class PhotoCheck(models.Model):
    """What the machine pre-check read from one photo (materials/precheck). Hints for the
    reviewers, never a decision: nothing here changes a photo's or a candidate's state.
    ID numbers are stored masked only, in the fields and in the text read."""

    image = models.OneToOneField(
        MaterialImage,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="photo_check",
        verbose_name=_("材料图片"),
    )
    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="+", verbose_name=_("考生")
    )
    exam_year = models.ForeignKey(
        ExamYear, on_delete=models.CASCADE, related_name="+", verbose_name=_("考试年度")
    )
    read = models.CharField(_("识别内容"), max_length=16, choices=PrecheckRead.choices)
    # The 64-bit dHash (signed, as the column is) and its four 16-bit parts, each indexed
    # with the year: the reuse lookup takes the rows sharing a part (materials.precheck.dhash).
    dhash = models.BigIntegerField(_("感知哈希"))
    dhash_0 = models.IntegerField(_("感知哈希第 1 段"))
    dhash_1 = models.IntegerField(_("感知哈希第 2 段"))
    dhash_2 = models.IntegerField(_("感知哈希第 3 段"))
    dhash_3 = models.IntegerField(_("感知哈希第 4 段"))
    id_no_masked = models.CharField(_("识别的证件号码"), max_length=32, blank=True)
    id_no_valid = models.BooleanField(_("号码校验通过"), null=True)
    id_no_match = models.BooleanField(_("号码一致"), null=True)
    name_read = models.CharField(_("识别的姓名"), max_length=64, blank=True)
    name_match = models.BooleanField(_("姓名一致"), null=True)
    quality = models.JSONField(_("质量提示"), default=list, blank=True)
    lines = models.JSONField(_("识别文字"), default=list, blank=True)
    seconds = models.FloatField(_("耗时（秒）"), default=0)
    checked_at = models.DateTimeField(_("检查时间"), auto_now=True)

    class Meta:
        verbose_name = _("机器预审结果")
        verbose_name_plural = _("机器预审结果")
        indexes = [
            models.Index(fields=["exam_year", "dhash_0"], name="photocheck_dhash_0"),
            models.Index(fields=["exam_year", "dhash_1"], name="photocheck_dhash_1"),
            models.Index(fields=["exam_year", "dhash_2"], name="photocheck_dhash_2"),
            models.Index(fields=["exam_year", "dhash_3"], name="photocheck_dhash_3"),
        ]

    def __str__(self) -> str:
        return f"{self.image_id}"


class PrecheckHint(models.Model):
    """One hint on one photo, for the workbench, its queue filter and the dashboard's
    precision per kind (a reviewer may mark a hint wrong)."""

    image = models.ForeignKey(
        MaterialImage,
        on_delete=models.CASCADE,
        related_name="precheck_hints",
        verbose_name=_("材料图片"),
    )
    candidate = models.ForeignKey(
        Candidate,
        on_delete=models.CASCADE,
        related_name="precheck_hints",
        verbose_name=_("考生"),
    )
    kind = models.CharField(_("提示"), max_length=16, choices=HintKind.choices)
    # Reused photos: {"images": [the other candidates' photo ids]}.
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("提示时间"), auto_now_add=True)
    wrong_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("标记错误的审核员"),
    )
    wrong_at = models.DateTimeField(_("标记错误时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("机器预审提示")
        verbose_name_plural = _("机器预审提示")
        constraints = [
            models.UniqueConstraint(fields=["image", "kind"], name="precheck_hint_image_kind"),
        ]
        indexes = [
            models.Index(fields=["candidate", "wrong_at"], name="precheck_hint_candidate"),
        ]

    def __str__(self) -> str:
        return f"{self.image_id} {self.kind}"
