from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "信息填报与配租登记"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts.views import add_profile_panel
        from applications import keys, metrics
        from applications.models import ApplicationInfo, Registration
        from applications.views.profile import real_name_rules_panel
        from rentcenter import crypto

        metrics.connect()
        # The plan states a signed-in page shows come from the person's cache entry: a form
        # submitted, a registration made, cancelled or decided shows on their next page.
        for model in (ApplicationInfo, Registration):
            for signal in (post_save, post_delete):
                signal.connect(applicant_changed, sender=model, dispatch_uid="usercache")
        add_profile_panel("plan_rules", real_name_rules_panel)
        for holder in keys.HOLDERS:
            crypto.register_holder(holder)


def applicant_changed(sender: type, instance, **kwargs: object) -> None:
    """Receiver of ApplicationInfo's and Registration's post_save and post_delete."""
    from accounts import usercache

    usercache.changed(instance.applicant_id)
