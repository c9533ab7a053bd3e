from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from accounts import views
        from rentcenter import pagecache

        pagecache.register_hole(views.ACCOUNT_NAV)
