from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImageStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("image status", "待审核")
    APPROVED = "approved", pgettext_lazy("image status", "审核通过")
    RETURNED = "returned", pgettext_lazy("image status", "退回")


class ProcessingState(models.TextChoices):
    PROCESSING = "processing", pgettext_lazy("image processing", "处理中")
    READY = "ready", pgettext_lazy("image processing", "已完成")
    FAILED = "failed", pgettext_lazy("image processing", "处理失败")


DEFAULT_FORMATS = ["jpeg", "png"]
DEFAULT_MAX_BYTES = 204_800


class PrecheckRead(models.TextChoices):
    """What the machine pre-check reads from the photos of a category (the operator sets
    it per category; quality hints and the reuse check apply to every photo)."""

    NONE = "none", _("不识别文字")
    ID_CARD = "id_card", _("居民身份证：识别号码与姓名并与报名信息比对")
    NAME = "name", _("在文字中查找考生姓名")


class HintKind(models.TextChoices):
    """Hints of the machine pre-check. Never a decision: a reviewer reads them and decides."""

    ID_MISMATCH = "id_mismatch", _("证件号码与报名信息不一致")
    NAME_MISMATCH = "name_mismatch", _("姓名与报名信息不一致")
    NAME_MISSING = "name_missing", _("未找到考生姓名")
    REUSED = "reused", _("与其他考生的照片相同")
    DARK = "dark", _("照片过暗")
    BRIGHT = "bright", _("照片过亮")
    BLURRED = "blurred", _("照片可能模糊")
    SMALL = "small", _("照片尺寸过小")
    EMPTY = "empty", _("照片内容过少")


# The quality hints, as the candidate reads them right after processing.
QUALITY_ADVICE = {
    HintKind.DARK: _("照片可能过暗，建议在光线充足处重新拍摄。"),
    HintKind.BRIGHT: _("照片可能过亮或反光，建议避开强光重新拍摄。"),
    HintKind.BLURRED: _("照片可能模糊，建议重新拍摄。"),
    HintKind.SMALL: _("照片尺寸过小，文字可能看不清，建议重新拍摄。"),
    HintKind.EMPTY: _("照片中几乎没有内容，请确认拍到了材料。"),
}
