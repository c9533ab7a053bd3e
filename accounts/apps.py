from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from accounts import consent, keys, usercache, views
        from accounts.models import User
        from rentcenter import crypto, pagecache

        pagecache.register_hole(views.ACCOUNT_NAV)
        # A change of the account shows on its next page (accounts/usercache.py).
        for signal in (post_save, post_delete):
            signal.connect(usercache.user_saved, sender=User, dispatch_uid="usercache")
        user_logged_in.connect(consent.on_login, dispatch_uid="accounts.consent.on_login")
        for holder in keys.HOLDERS:
            crypto.register_holder(holder)


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django admin with the staff's second factor (accounts.admin_site.StaffAdminSite)."""

    default_site = "accounts.admin_site.StaffAdminSite"
    default = False  # "accounts" in INSTALLED_APPS still means AccountsConfig

    def ready(self) -> None:
        super().ready()  # registers every app's admin.py
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # django-otp's pages show TOTP keys and backup codes to whoever may open them; a lost
        # device is reset with `manage.py reset_staff_otp`, which leaves a line in the log.
        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
