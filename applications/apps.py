from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "信息填报与配租登记"

    def ready(self) -> None:
        from applications import metrics

        metrics.connect()
