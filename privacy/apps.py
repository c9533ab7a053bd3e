from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "个人信息"

    def ready(self) -> None:
        from messaging import schedule
        from privacy import checks, retention, tasks  # checks: registers the deploy checks

        assert checks

        schedule.daily(tasks.purge_expired_daily, hour=retention.purge_hour)
