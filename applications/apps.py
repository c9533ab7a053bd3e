from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "信息填报与配租登记"

    def ready(self) -> None:
        from accounts.views import add_profile_panel
        from applications import keys, metrics
        from applications.views.profile import real_name_rules_panel
        from rentcenter import crypto

        metrics.connect()
        add_profile_panel("plan_rules", real_name_rules_panel)
        for holder in keys.HOLDERS:
            crypto.register_holder(holder)
