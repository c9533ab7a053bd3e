from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "项目小区"

    def ready(self) -> None:
        from projects import views
        from projects.models import FloorPlan, FloorPlanPhoto, Project, ProjectPhoto, RentItem
        from rentcenter import pagecache, storage

        pagecache.register_hole(views.OFFERINGS)
        for model in (Project, ProjectPhoto, FloorPlan, FloorPlanPhoto, RentItem):
            for signal in (post_save, post_delete):
                signal.connect(pagecache.catalogue_changed, sender=model, dispatch_uid="pagecache")
        # A deleted or replaced public file leaves /media/ once committed (issue 17).
        for model in (ProjectPhoto, FloorPlan, FloorPlanPhoto):
            storage.remove_replaced_files(model)
