from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "信息填报与配租登记"

    def ready(self) -> None:
        from accounts.views import add_profile_panel
        from applications import metrics
        from applications.views.profile import real_name_rules_panel

        metrics.connect()
        add_profile_panel("plan_rules", real_name_rules_panel)
