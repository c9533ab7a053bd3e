from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "信息填报与配租登记"

    def ready(self) -> None:
        from applications import keys, metrics
        from rentcenter import crypto

        metrics.connect()
        for holder in keys.HOLDERS:
            crypto.register_holder(holder)
