from django.db import models
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
