from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "配租计划"

    def ready(self) -> None:
        from plans import views
        from plans.models import Announcement, AnnouncementAttachment, Plan, PlanProject
        from rentcenter import pagecache, storage

        pagecache.register_hole(views.PLAN_ACTIONS)
        for model in (Plan, PlanProject, Announcement, AnnouncementAttachment):
            for signal in (post_save, post_delete):
                signal.connect(pagecache.catalogue_changed, sender=model, dispatch_uid="pagecache")
        # A deleted or replaced public file leaves /media/ once committed (issue 17).
        storage.remove_replaced_files(AnnouncementAttachment)
