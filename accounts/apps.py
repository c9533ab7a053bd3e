from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from django.template.loader import render_to_string

        from rentcenter import pagecache

        # The header's 注册 / 登录, or the signed-in account's menu.
        pagecache.register_hole(
            pagecache.HoleKind(
                "account_nav",
                capture=dict,
                render=lambda request, holes: [
                    render_to_string("includes/account_nav.html", request=request) for _ in holes
                ],
            )
        )
