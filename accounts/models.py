import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from config.i18n import in_reader_language

# The quiet hours' rule and clock live in notifications (a reminder's row carries the hours);
# BEIJING is re-exported for the callers that read it here (selectors, tests).
from notifications.quiet import BEIJING as BEIJING
from notifications.quiet import quiet_period

from .enums import (
    CandidateEventAction,
    CandidateStatus,
    IdType,
    ReviewLevel,
    StaffRole,
    SubmitMode,
)
from .idcrypt import id_no_decrypt, id_no_digest, id_no_encrypt
from .validators import staff_scope_validate

DEFAULT_WATERMARK = "仅供{year}年医师资格考试审核使用 {reg_no}"
# The standard SMS texts: marked for the catalogues (gettext_noop leaves the Chinese default
# unchanged), so a candidate who uses English gets them in English while a province keeps
# the standard text (notifications.sms.sms_text).
DEFAULT_SMS_RETURN = gettext_noop(
    "您的医师资格考试报名材料照片，有新的审核通知，请在{hours}小时之内登录报名网站，"
    "访问报名材料上传页面，查看消息并按要求处理。"
)
DEFAULT_SMS_APPROVED = gettext_noop(
    "您的医师资格考试报名材料已审核通过，请按考区通知参加后续考务安排。"
)
DEFAULT_SMS_REJECTED = gettext_noop(
    "您的医师资格考试报名材料审核未通过，请登录报名网站访问报名材料上传页面查看审核意见。"
)
DEFAULT_SMS_REMINDER = gettext_noop(
    "您的医师资格考试报名材料尚未按审核意见修改，将于{deadline}截止，请尽快登录报名网站处理。"
)
# To a candidate who has not entered yet and to one who entered but has not submitted: the
# text must be true for both (and in an auto-save province, where nothing is "submitted").
DEFAULT_SMS_WINDOW_REMINDER = gettext_noop(
    "您的医师资格考试报名材料尚未完成上传提交，材料上传将于{deadline}截止，"
    "请尽快登录报名网站，访问报名材料上传页面处理。"
)
SMS_TEXT_HELP = _(
    "考生使用英文界面时：本栏保持标准文字，则发送其英文版本；修改后，所有考生都收到这里填写的文字。"
)
# A reminder whose deadline comes before the quiet hours end goes in this last stretch
# before they begin: the evening before rather than never.
QUIET_EVENING_AHEAD = dt.timedelta(hours=1)


class ExamYear(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    is_current = models.BooleanField(_("当前年度"), default=False)
    # Set by manage.py purge_exam_year: the year's photos and personal data are gone.
    purged_at = models.DateTimeField(_("个人信息清除时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("考试年度")
        verbose_name_plural = pgettext_lazy("plural", "考试年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}"


class Province(models.Model):
    """A 考区 and its configuration for the current exam year."""

    code = models.CharField(_("考区代码"), max_length=2, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    opens_at = models.DateTimeField(_("上传开始时间"), null=True, blank=True)
    closes_at = models.DateTimeField(_("上传截止时间"), null=True, blank=True)
    submit_mode = models.CharField(
        _("提交方式"), max_length=16, choices=SubmitMode.choices, default=SubmitMode.EXPLICIT
    )
    entry_enabled = models.BooleanField(_("开放在线审核入口"), default=True)
    reply_hours = models.PositiveSmallIntegerField(_("退回后考生修改时限（小时）"), default=24)
    resubmit_to_returning_level = models.BooleanField(
        _("重新提交回到退回的审核级别"),
        default=True,
        help_text=_("不勾选时，考区退回后考生重新提交将先由考点审核。"),
    )
    watermark_text = models.CharField(
        _("水印文字"),
        max_length=64,
        default=DEFAULT_WATERMARK,
        help_text=_("可用 {year}（年度）与 {reg_no}（报名号）。"),
    )
    sms_return_text = models.TextField(
        _("退回短信"), default=DEFAULT_SMS_RETURN, help_text=SMS_TEXT_HELP
    )
    sms_approved_text = models.TextField(
        _("审核通过短信"), default=DEFAULT_SMS_APPROVED, help_text=SMS_TEXT_HELP
    )
    sms_rejected_text = models.TextField(
        _("审核拒绝短信"), default=DEFAULT_SMS_REJECTED, help_text=SMS_TEXT_HELP
    )
    sms_reminder_text = models.TextField(
        _("修改截止提醒短信"), default=DEFAULT_SMS_REMINDER, help_text=SMS_TEXT_HELP
    )
    # The upload-window reminder (review.services.window_reminders_send).
    window_reminder_hours = models.PositiveSmallIntegerField(
        _("上传截止前提醒（小时）"),
        default=48,
        validators=[MaxValueValidator(720)],
        help_text=_(
            "上传截止前多少小时向尚未提交的考生（含从未登录的名单考生）发一次提醒短信；"
            "填 0 不发送。"
        ),
    )
    sms_window_reminder_text = models.TextField(
        _("上传截止提醒短信"), default=DEFAULT_SMS_WINDOW_REMINDER, help_text=SMS_TEXT_HELP
    )
    quiet_start = models.TimeField(
        _("免打扰开始时间"),
        default=dt.time(22, 0),
        help_text=_("北京时间。免打扰时段内不发提醒短信，到时段结束再发。"),
    )
    quiet_end = models.TimeField(
        _("免打扰结束时间"),
        default=dt.time(8, 0),
        help_text=_("北京时间；与开始时间相同表示不设免打扰时段。"),
    )

    class Meta:
        verbose_name = _("考区")
        verbose_name_plural = pgettext_lazy("plural", "考区")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def quiet_period(self, when: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        """The province's quiet hours (no reminder SMS) that `when` falls in, as (start,
        end), or None when it falls outside them (the rule: notifications.quiet)."""
        return quiet_period(start=self.quiet_start, end=self.quiet_end, when=when)

    def reminder_send_from(
        self, *, due: dt.datetime, deadline: dt.datetime, now: dt.datetime
    ) -> dt.datetime:
        """From when a reminder due at `due`, about a deadline at `deadline`, may go, asked
        by a sender at `now` (it sends when the answer is not after `now`): at `due`, or,
        when that falls in the quiet hours, when they end; and when the deadline comes
        before they end, in the hour before they began (the evening before, rather than
        after the deadline or never). Never while `now` is itself in the quiet hours: then
        not before they end (a reminder long due waits for the morning)."""
        send_from = due
        period = self.quiet_period(due)
        if period is not None:
            start, end = period
            send_from = end if end < deadline else start - QUIET_EVENING_AHEAD
        quiet_now = self.quiet_period(now)
        if quiet_now is not None:
            send_from = max(send_from, quiet_now[1])
        return send_from


class TestSite(models.Model):
    __test__ = False  # not a pytest test class

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="sites", verbose_name=_("考区")
    )
    code = models.CharField(_("考点代码"), max_length=4, unique=True)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        verbose_name = _("考点")
        verbose_name_plural = pgettext_lazy("plural", "考点")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ExamCategory(models.Model):
    code = models.CharField(_("类别代码"), max_length=3, unique=True)
    name = models.CharField(_("报考类别"), max_length=64)
    name_en = models.CharField(
        _("报考类别（英文）"),
        max_length=100,
        blank=True,
        help_text=_("使用英文界面的考生和审核人员看到的名称；留空时显示中文名称。"),
    )

    class Meta:
        verbose_name = _("报考类别")
        verbose_name_plural = pgettext_lazy("plural", "报考类别")
        ordering = ["code"]

    def __str__(self) -> str:
        # In the reader's language (admin lists, form choices); records that must stay
        # Chinese (registration changes, exports) write code and name themselves.
        return f"{self.code} {self.localized_name}"

    @property
    def localized_name(self) -> str:
        return in_reader_language(self.name, self.name_en)


class CandidateQuerySet(models.QuerySet):
    def with_id_no(self, value: str) -> "CandidateQuerySet":
        """Candidates holding this ID number, found by its keyed hash (accounts/idcrypt.py)."""
        digest = id_no_digest(value)
        return self.filter(id_no_hash=digest) if digest else self.none()


class Candidate(models.Model):
    exam_year = models.ForeignKey(ExamYear, on_delete=models.PROTECT, verbose_name=_("考试年度"))
    reg_no = models.CharField(_("报名号"), max_length=32)
    name = models.CharField(_("姓名"), max_length=64)
    id_type = models.CharField(
        _("证件类型"), max_length=32, choices=IdType.choices, default=IdType.ID_CARD
    )
    # The ID number, encrypted (read and written through the `id_no` property) and its
    # keyed hash for lookups; both "" once the exam year is purged.
    id_no_cipher = models.CharField(
        _("证件号码（密文）"), max_length=200, blank=True, editable=False
    )
    id_no_hash = models.CharField(_("证件号码摘要"), max_length=64, blank=True, editable=False)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, verbose_name=_("考区"))
    site = models.ForeignKey(TestSite, on_delete=models.PROTECT, verbose_name=_("考点"))
    category = models.ForeignKey(ExamCategory, on_delete=models.PROTECT, verbose_name=_("报考类别"))
    tags = models.JSONField(_("考生标记"), default=list, blank=True)

    phone = models.CharField(_("手机号码"), max_length=11, blank=True)
    phone_verified_at = models.DateTimeField(_("手机验证时间"), null=True, blank=True)
    # The number the registration system holds, from its roster: what reaches a candidate
    # who has never entered (reminders). Once the candidate has verified a phone, that one
    # is used instead (reminder_phone).
    roster_mobile = models.CharField(_("报名系统登记的手机号码"), max_length=11, blank=True)
    address = models.CharField(_("联系地址"), max_length=200, blank=True)
    # The interface language the candidate last used (the switch on every page, or the one
    # active at entry): the SMS about their review are written in it (notifications.sms).
    language = models.CharField(
        _("语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    registration_confirmed_at = models.DateTimeField(_("确认报名信息时间"), null=True, blank=True)
    consent_at = models.DateTimeField(_("同意个人信息处理时间"), null=True, blank=True)
    activated_at = models.DateTimeField(_("激活时间"), null=True, blank=True)
    last_entry_at = models.DateTimeField(_("最近进入时间"), null=True, blank=True)
    # What the last entry changed in the registration data, shown once on the material page.
    registration_changes = models.JSONField(_("报名信息变更"), default=list, blank=True)

    status = models.CharField(
        _("审核状态"),
        max_length=16,
        choices=CandidateStatus.choices,
        default=CandidateStatus.DRAFT,
    )
    # The level that returned the candidate: resubmission goes back there.
    returned_by = models.CharField(
        _("退回级别"), max_length=16, choices=ReviewLevel.choices, blank=True
    )
    # Material categories the current return unlocked (ids); the lock rule reads them.
    returned_categories = models.JSONField(_("退回的材料类别"), default=list, blank=True)
    reply_deadline = models.DateTimeField(_("修改截止时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CandidateQuerySet.as_manager()

    class Meta:
        verbose_name = _("考生")
        verbose_name_plural = pgettext_lazy("plural", "考生")
        constraints = [
            models.UniqueConstraint(fields=["exam_year", "reg_no"], name="candidate_year_reg_no"),
        ]
        indexes = [
            # The reviewer queues: oldest first within a site or province and a status.
            models.Index(
                fields=["site", "status", "submitted_at", "id"], name="candidate_site_queue"
            ),
            models.Index(
                fields=["province", "status", "submitted_at", "id"],
                name="candidate_province_queue",
            ),
            models.Index(fields=["province", "status_changed_at"], name="candidate_prov_changed"),
            models.Index(fields=["id_no_hash"], name="candidate_id_no_hash"),
            # Candidates from a roster who never entered (the dashboards' count, reminders).
            models.Index(
                fields=["site"],
                condition=models.Q(last_entry_at__isnull=True),
                name="candidate_not_started",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reg_no} {self.name}"

    @property
    def id_no(self) -> str:
        return id_no_decrypt(self.id_no_cipher)

    @id_no.setter
    def id_no(self, value: str) -> None:
        self.id_no_cipher = id_no_encrypt(value)
        self.id_no_hash = id_no_digest(value)

    @property
    def masked_id_no(self) -> str:
        return mask_id_no(self.id_no)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def reminder_phone(self) -> str:
        """Where a reminder goes: the phone the candidate verified, else the roster's."""
        return self.phone or self.roster_mobile

    @property
    def is_activated(self) -> bool:
        return self.activated_at is not None

    @property
    def has_started(self) -> bool:
        """False for a candidate the registration system pushed in a roster who has not yet
        come in through an entry link ("not started")."""
        return self.last_entry_at is not None


def mask_id_no(id_no: str) -> str:
    """ID numbers are never shown whole: keep the first 3 and last 4."""
    if len(id_no) <= 7:
        return "*" * len(id_no)
    return f"{id_no[:3]}{'*' * (len(id_no) - 7)}{id_no[-4:]}"


def mask_phone(phone: str) -> str:
    """Phone numbers shown to staff and in the audit keep the first 3 and last 4 digits."""
    if len(phone) < 7:
        return phone
    return f"{phone[:3]}****{phone[-4:]}"


class EntryNonce(models.Model):
    """Each entry token's nonce is accepted once; rows older than the token lifetime may go."""

    nonce = models.CharField(max_length=64, primary_key=True)
    used_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("入口令牌")
        verbose_name_plural = pgettext_lazy("plural", "入口令牌")

    def __str__(self) -> str:
        return self.nonce


class HandoffToken(models.Model):
    """A single-use link that opens a logged-in candidate's page on another device (the QR
    code on the material page). Only the SHA-256 of the token is stored: whoever reads the
    database cannot log in with it."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="handoff_tokens", verbose_name=_("考生")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    used_ip = models.GenericIPAddressField(_("使用的 IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("手机继续链接")
        verbose_name_plural = pgettext_lazy("plural", "手机继续链接")
        indexes = [models.Index(fields=["candidate", "created_at"], name="handoff_cand_created")]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.created_at:%Y-%m-%d %H:%M}"


class PhoneVerification(models.Model):
    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="phone_verifications"
    )
    phone = models.CharField(max_length=11)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("手机验证码")
        verbose_name_plural = pgettext_lazy("plural", "手机验证码")
        indexes = [models.Index(fields=["candidate", "created_at"], name="phoneverif_cand_created")]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.created_at:%Y-%m-%d %H:%M}"


class StaffProfile(models.Model):
    """The scope of a reviewer or operator: one site, one province, or national."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(_("角色"), max_length=32, choices=StaffRole.choices)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("考区")
    )
    site = models.ForeignKey(
        TestSite, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("考点")
    )
    # Where the account's one-time link to set a password is sent (staff imported in bulk).
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("审核与管理账号范围")
        verbose_name_plural = pgettext_lazy("plural", "审核与管理账号范围")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    def clean(self) -> None:
        staff_scope_validate(role=self.role, province=self.province, site=self.site)


class CandidateEvent(models.Model):
    """The audit trail of a candidate's own account: entries, activation steps, changes of
    registration data, phone and address. (Review decisions are in review.ReviewEvent.)"""

    # PROTECT: the audit of an account is not deleted with the candidate.
    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="account_events", verbose_name=_("考生")
    )
    action = models.CharField(_("操作"), max_length=32, choices=CandidateEventAction.choices)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("考生账号记录")
        verbose_name_plural = pgettext_lazy("plural", "考生账号记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["candidate", "created_at"], name="candevent_cand_created")]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.get_action_display()}"


class StaffAccount(User):
    """Reviewer and operator accounts as the admin shows them (a proxy of the user model)."""

    class Meta:
        proxy = True
        verbose_name = _("审核与管理账号")
        verbose_name_plural = pgettext_lazy("plural", "审核与管理账号")


class StaffInvite(models.Model):
    """The one-time link that lets a new staff account set its password (then enrol the
    second factor). Only a hash of the token is stored; the token itself went out by SMS."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_invites",
        verbose_name=_("账号"),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号开通链接")
        verbose_name_plural = pgettext_lazy("plural", "账号开通链接")
        indexes = [models.Index(fields=["user", "created_at"], name="staffinvite_user_created")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
