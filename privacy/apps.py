from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "个人信息"

    def ready(self) -> None:
        from privacy import checks  # noqa: F401 - registers the deploy checks
