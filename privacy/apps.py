from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "个人信息"

    def ready(self) -> None:
        import privacy.checks  # noqa: F401 - registers the deploy checks
        from messaging import schedule
        from privacy import retention, tasks

        schedule.daily(tasks.purge_expired_daily, hour=retention.purge_hour)
