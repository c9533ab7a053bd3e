from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField


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

    def create_superuser(self, phone: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, known by a mainland mobile number (the manual's 手机号 is the account)."""

    phone = PhoneNumberField("手机号", region="CN", unique=True)
    is_staff = models.BooleanField(
        "工作人员", default=False, help_text="可以登录管理后台（配租管理员、资格审核员）。"
    )
    is_active = models.BooleanField("有效", default=True)
    date_joined = models.DateTimeField("注册时间", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.masked_phone

    @property
    def masked_phone(self) -> str:
        """138****0000: enough for a person to recognise their number, not to read it."""
        national = str(self.phone.national_number) if self.phone else ""
        if len(national) != 11:
            return national
        return f"{national[:3]}****{national[7:]}"
