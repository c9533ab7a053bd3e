from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "短信发送"

    def ready(self) -> None:
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        # The task queue's rows (django-tasks' "Tasks Database Backend / Task Results", in
        # English) are the workers' bookkeeping: staff follow each text in 短信发送记录, whose
        # rows say what was sent, to whom, and the last error. Admin's apps registered their
        # models before this runs (the admin app comes first in INSTALLED_APPS).
        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
