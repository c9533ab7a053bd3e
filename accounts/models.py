import time
from binascii import unhexlify
from collections.abc import Iterator
from datetime import datetime

from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from phonenumber_field.modelfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber

from accounts.idcard import Sex, mask_id_number, parse_id_number
from rentcenter import crypto


def mask_phone(phone: PhoneNumber | None) -> str:
    """138****0000: enough for a person to recognise their number, not to read it."""
    national = str(phone.national_number) if phone else ""
    if len(national) != 11:
        return national
    return f"{national[:3]}****{national[7:]}"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra: object) -> "User":
        user = self.model(phone=phone, **extra)
        # Applicants sign in with SMS codes only; a password is for staff accounts.
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def get_or_create_applicant(self, phone: PhoneNumber | str) -> tuple["User", bool]:
        """The account of a phone whose owner has just proved it with an SMS code, made now if
        there is none yet; two requests racing to create it end with the same account."""
        try:
            return self.get(phone=phone), False
        except self.model.DoesNotExist:
            pass
        try:
            with transaction.atomic():
                return self.create_user(str(phone)), True
        except IntegrityError:
            return self.get(phone=phone), False

    def create_superuser(self, phone: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, known by a mainland mobile number (the manual's 手机号 is the account).

    The real name (实名认证) is set once, by accounts.realname.verify_real_name. The resident ID
    number is stored only encrypted, next to a keyed digest that keeps it to one account.
    """

    Sex = Sex

    # NULL once the account is closed (注销): the number is free to sign up again.
    phone = PhoneNumberField("手机号", region="CN", unique=True, null=True, blank=True)
    # Since when the account has this phone (NULL: since it was made), so that texts sent to
    # the number before it was this account's are never shown to it (privacy/export.py).
    phone_since = models.DateTimeField("手机号绑定时间", null=True, blank=True, editable=False)
    is_staff = models.BooleanField(
        "工作人员", default=False, help_text="可以登录管理后台（配租管理员、资格审核员）。"
    )
    is_active = models.BooleanField("有效", default=True)
    date_joined = models.DateTimeField("注册时间", default=timezone.now)

    real_name = models.CharField("真实姓名", max_length=30, blank=True)
    sex = models.CharField("性别", max_length=10, choices=Sex.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    real_name_verified_at = models.DateTimeField("实名认证时间", null=True, blank=True)
    id_number_encrypted = models.TextField("证件号码（密文）", blank=True, editable=False)
    # NULL rather than "" until verified, so that unverified accounts never meet on the unique
    # index.
    id_number_digest = models.CharField(  # noqa: DJ001
        "证件号码摘要", max_length=64, null=True, blank=True, editable=False
    )
    # Staff are named where admin shows who did something (欢迎, 操作人, 核验人, 冻结人): a
    # colleague's name reads better than a number, and the phone stays private to the team.
    staff_name = models.CharField(
        "工作人员姓名",
        max_length=30,
        blank=True,
        help_text="工作人员在管理后台显示的姓名（欢迎语、操作人、核验人）；申请人无需填写。",
    )

    # What an applicant sees of a staff member who looked at their file (查看记录): a staff
    # number and a department, never a private name or phone (accounts/access_log.py).
    staff_number = models.CharField("工号", max_length=20, blank=True)
    department = models.CharField("所属部门", max_length=50, blank=True)

    # 注销账号 (privacy/closure.py): the row stays, without the person, so that decisions and
    # the lottery's published entries keep their account.
    closed_at = models.DateTimeField("注销时间", null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        permissions = [("view_full_id_number", "可以查看完整证件号码")]
        constraints = [
            # One resident ID number, one account (manual 3.3; PRODUCT.md).
            models.UniqueConstraint(
                fields=["id_number_digest"],
                name="user_id_number_unique",
                violation_error_message="该证件号码已在其他账号完成实名认证。",
            ),
            models.CheckConstraint(
                condition=Q(real_name_verified_at__isnull=True)
                | (Q(id_number_digest__isnull=False) & ~Q(real_name="")),
                name="user_verified_has_name_and_number",
            ),
            # Only a closed account has no phone (an applicant signs in with it).
            models.CheckConstraint(
                condition=Q(phone__isnull=False) | Q(closed_at__isnull=False),
                name="user_without_phone_is_closed",
            ),
            models.UniqueConstraint(
                fields=["staff_number"],
                condition=~Q(staff_number=""),
                name="user_staff_number_unique",
                violation_error_message="该工号已被其他工作人员使用。",
            ),
        ]

    def __str__(self) -> str:
        """What admin shows for the person: a staff member's name, else 138****0000; a closed
        account has no phone left to show."""
        if self.staff_name:
            return self.staff_name
        return self.masked_phone if self.phone else f"已注销账号 {self.pk}"

    def get_short_name(self) -> str:
        """Admin's 欢迎，… (its header asks for this before the phone number)."""
        return str(self)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def has_real_name(self) -> bool:
        return self.real_name_verified_at is not None

    @property
    def id_number(self) -> str:
        """The full resident ID number, decrypted; "" before the real name is verified."""
        if not self.id_number_encrypted:
            return ""
        return crypto.decrypt(self.id_number_encrypted)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number) if self.id_number_encrypted else ""

    def set_real_name(self, *, name: str, id_number: str, verified_at: datetime) -> None:
        """Record a verified name and number; sex and birth date come from the number."""
        card = parse_id_number(id_number)
        self.real_name = name
        self.sex = card.sex
        self.birth_date = card.birth_date
        self.id_number_encrypted = crypto.encrypt(card.number)
        self.id_number_digest = crypto.digest(card.number)
        self.real_name_verified_at = verified_at

    # Sessions store this hash and Django drops a session whose hash no longer matches
    # (django.contrib.auth.get_user). Mixing in the phone means that changing the phone, like
    # changing a password, signs the account out everywhere else (manual 3.4).
    def get_session_auth_hash(self) -> str:
        return self._session_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret)

    def _session_hash(self, secret: str) -> str:
        salt = "accounts.User.get_session_auth_hash"
        value = f"{self.password}|{self.phone}"
        return salted_hmac(salt, value, secret=secret, algorithm="sha256").hexdigest()


class SmsCode(models.Model):
    """A 6-digit code texted to a phone, usable once, for one purpose (accounts.otp)."""

    class Purpose(models.TextChoices):
        LOGIN = "login", "登录或注册"
        CHANGE_PHONE = "change_phone", "更改手机号码"
        CONFIRM_PHONE = "confirm_phone", "验证当前手机号"
        STAFF_ENROL = "staff_enrol", "设置管理后台双重验证"
        EXPORT_DATA = "export_data", "下载我的个人信息"
        CLOSE_ACCOUNT = "close_account", "注销账号"

    phone = PhoneNumberField("手机号", region="CN")
    purpose = models.CharField("用途", max_length=20, choices=Purpose.choices)
    # For a change of phone: the account that asked, so that no one else can use the code.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    wrong_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


# Admin logins refused (django-axes' rows, shown in Chinese under 账号; accounts.staff_login) ---


class LoginLockout(AccessAttempt):
    """Recent wrong passwords for one account from one address; enough of them lock."""

    class Meta:
        proxy = True
        verbose_name = "后台登录锁定"
        verbose_name_plural = "后台登录锁定"


class LoginFailure(AccessFailureLog):
    """Every wrong admin password, kept for audits, with whether it locked the login."""

    class Meta:
        proxy = True
        verbose_name = "后台登录失败记录"
        verbose_name_plural = "后台登录失败记录"


# The staff's authenticator app (accounts.staff_otp) -------------------------------------------


class StaffTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's authenticator app: the TOTP secret (RFC 6238) stored encrypted with the
    site's keys (ID_NUMBER_KEYS, rentcenter.crypto), as ID numbers are, so that a database dump
    does not hand out everyone's second factor (issue 18); `manage.py reencrypt_id_numbers`
    rotates it with them. django-otp's own TOTPDevice keeps the secret in clear hex, so this
    takes its place; verification is the same (30-second steps, six digits, one step either
    side, a code never accepted twice, wrong codes slowed by ThrottlingMixin)."""

    key_encrypted = models.TextField("密钥（密文）", editable=False)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    # The time step of the last code accepted: the next must be later.
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "身份验证器"
        verbose_name_plural = "身份验证器"

    @property
    def key(self) -> str:
        """The secret as django-otp keeps it (hex), decrypted."""
        return crypto.decrypt(self.key_encrypted)

    @key.setter
    def key(self, value: str) -> None:
        unhexlify(value)  # a hex secret, or ValueError
        self.key_encrypted = crypto.encrypt(value)

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key)

    def totp(self, *, drift: int | None = None) -> TOTP:
        totp = TOTP(
            self.bin_key, self.step, self.t0, self.digits, self.drift if drift is None else drift
        )
        totp.time = time.time()
        return totp

    def verify_token(self, token: str) -> bool:
        if not self.verify_is_allowed()[0]:
            return False
        try:
            code = int(token)
        except (TypeError, ValueError):
            code = None
        totp = self.totp()
        if code is not None and totp.verify(code, self.tolerance, self.last_t + 1):
            self.last_t = totp.t()
            self.drift = totp.drift
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment(commit=True)
        return False

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)


# 告知与同意 and 查看记录 (accounts/consent.py, accounts/access_log.py) ----------------------


class Consent(models.Model):
    """One agreement an account gave, to one version of the 个人信息处理规则: the rules as a whole
    (at sign-up, or when asked again after they changed), or the separate consent to its
    sensitive personal information (单独同意, 个人信息保护法 art. 29) before 实名认证.

    Rows are only added: a later version is a new row, and what was agreed stays provable.
    """

    class Kind(models.TextChoices):
        RULES = "rules", "个人信息处理规则"
        SENSITIVE = "sensitive", "敏感个人信息单独同意"

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="consents", verbose_name="账号"
    )
    kind = models.CharField("同意事项", max_length=20, choices=Kind.choices)
    version = models.PositiveSmallIntegerField("规则版本")
    given_at = models.DateTimeField("同意时间", default=timezone.now)
    address = models.GenericIPAddressField("IP 地址", null=True, blank=True)

    class Meta:
        verbose_name = "同意记录"
        verbose_name_plural = "同意记录"
        ordering = ["given_at", "id"]
        indexes = [models.Index(fields=["user", "kind", "version"], name="consent_user_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} 第 {self.version} 版"


class AccessEvent(models.Model):
    """查看记录: a staff member saw an applicant's personal information (who, when, what, and
    for a full ID number why). Written only by accounts.access_log.record; admin shows it to
    superusers and lets nobody add, change or delete it."""

    class Action(models.TextChoices):
        FULL_ID_NUMBER = "full_id_number", "查看完整证件号码"
        DOCUMENT = "document", "查看上传材料"
        ACCOUNT = "account", "查看账号信息"
        APPLICATION = "application", "查看信息填报"
        EXPORT = "export", "导出数据"

    subject = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="access_events", verbose_name="被查看的账号"
    )
    staff = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name="工作人员"
    )
    # As they were at the time: a later transfer does not rewrite who looked.
    staff_number = models.CharField("工号", max_length=20)
    department = models.CharField("所属部门", max_length=50, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    target = models.CharField("查看内容", max_length=200)
    reason = models.CharField("查看原因", max_length=200, blank=True)
    address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "查看记录"
        verbose_name_plural = "查看记录"
        ordering = ["-at", "-id"]
        indexes = [
            # 谁查看了我的信息: one applicant's latest events.
            models.Index(fields=["subject", "-at"], name="access_subject_at"),
            # The trail in admin, newest first, and the purge by age.
            models.Index(fields=["-at"], name="access_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="full_id_number") | ~Q(reason=""),
                name="access_full_id_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_number} {self.get_action_display()} · {self.target}"

    @property
    def who(self) -> str:
        """What the applicant reads: the staff number and department, never a private name."""
        return f"工号 {self.staff_number}" + (f"（{self.department}）" if self.department else "")
