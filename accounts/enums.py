from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SubmitMode(models.TextChoices):
    EXPLICIT = "explicit", _("考生点击「提交审核」")
    AUTO_SAVE = "auto", _("自动保存（无提交按钮）")


class IdType(models.TextChoices):
    """Values of the entry token's "id_type"."""

    ID_CARD = "id_card", _("居民身份证")
    HK_MACAO_PERMIT = "hk_macao_permit", _("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "taiwan_permit", _("台湾居民来往大陆通行证")
    PASSPORT = "passport", _("护照")
    RESIDENCE_PERMIT = "residence_permit", _("港澳台居民居住证")
    FOREIGNER_PERMIT = "foreigner_permit", _("外国人永久居留身份证")


# The candidate's review states and the review levels are defined here, not in review/,
# because Candidate.status and Candidate.returned_by (accounts) store them and accounts may
# not import review (layers: config → accounts → materials → review). The state machine
# over them, which transition leads where and who takes it, is review.transitions.TABLE.
class CandidateStatus(models.TextChoices):
    """The candidate's review state; the transitions are review.transitions.TABLE."""

    DRAFT = "draft", pgettext_lazy("candidate status", "填报")
    SUBMITTED = "submitted", pgettext_lazy("candidate status", "已提交")
    RETURNED = "returned", pgettext_lazy("candidate status", "退回修改")
    SITE_PASSED = "site_passed", pgettext_lazy("candidate status", "考点通过")
    APPROVED = "approved", pgettext_lazy("candidate status", "审核通过")
    REJECTED = "rejected", pgettext_lazy("candidate status", "审核拒绝")


class ReviewLevel(models.TextChoices):
    SITE = "site", pgettext_lazy("review level", "考点")
    PROVINCE = "province", pgettext_lazy("review level", "考区")


class StaffRole(models.TextChoices):
    SITE_REVIEWER = "site_reviewer", _("考点审核员")
    PROVINCE_REVIEWER = "province_reviewer", _("考区审核员")
    OPERATOR = "operator", _("考区管理员")
    NATIONAL = "national", _("国家级管理员")


class CandidateEventAction(models.TextChoices):
    ENTRY_FIRST = "entry_first", _("首次进入")
    ENTRY = "entry", _("进入")
    REGISTRATION_CHANGED = "registration_changed", _("报名信息变更")
    REGISTRATION_CONFIRMED = "registration_confirmed", _("确认报名信息")
    CONSENT = "consent", _("同意个人信息处理")
    CODE_SENT = "code_sent", _("发送验证码")
    PHONE_VERIFIED = "phone_verified", _("手机号码验证")
    ADDRESS_SET = "address_set", _("填写联系地址")
    ACTIVATED = "activated", _("激活")
    HANDOFF_CREATED = "handoff_created", _("生成手机继续二维码")
    HANDOFF_USED = "handoff_used", _("在手机上继续")
    HANDOFF_REFUSED = "handoff_refused", _("手机继续链接被拒绝")
    ROSTER = "roster", _("报名系统名单导入")


class ActivationStep:
    """The activation steps in their order (accounts.selectors.activation_step says which is
    next); DONE once all are done."""

    CONFIRM = "confirm"
    CONSENT = "consent"
    PHONE = "phone"
    ADDRESS = "address"
    DONE = "done"

    ORDER = (CONFIRM, CONSENT, PHONE, ADDRESS)


# Tags the registration system sends in the entry token; others are kept as given.
KNOWN_TAGS = ("应届毕业生", "在读研究生", "港澳台", "外籍", "师承", "确有专长")
# Their names for people, in the active language (the tag itself stays the value).
TAG_LABELS = {
    "应届毕业生": _("应届毕业生"),
    "在读研究生": _("在读研究生"),
    "港澳台": _("港澳台"),
    "外籍": _("外籍"),
    "师承": _("师承"),
    "确有专长": _("确有专长"),
}
