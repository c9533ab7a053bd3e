"""The two staff roles of the platform, as auth groups.

配租管理员 (plan managers) publish plans, announcements and projects with their photos and rent
lists. 资格审核员 (reviewers) get no catalog rights: they decide on registrations, whose
permissions a later migration of the applications app grants them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PLAN_MANAGERS = "配租管理员"
REVIEWERS = "资格审核员"

# Plans and projects are closed, not deleted, once public: they carry registrations.
CATALOG_PERMISSIONS = {
    "plans": {
        "plan": ("add", "change", "view"),
        "planproject": ("add", "change", "delete", "view"),
        "announcement": ("add", "change", "delete", "view"),
        "announcementattachment": ("add", "change", "delete", "view"),
    },
    "projects": {
        "project": ("add", "change", "view"),
        "projectphoto": ("add", "change", "delete", "view"),
        "floorplan": ("add", "change", "delete", "view"),
        "floorplanphoto": ("add", "change", "delete", "view"),
        "rentitem": ("add", "change", "delete", "view"),
    },
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    managers, _ = Group.objects.get_or_create(name=PLAN_MANAGERS)
    for app_label, models in CATALOG_PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            managers.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
    Group.objects.get_or_create(name=REVIEWERS)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("plans", "0001_initial"),
        ("projects", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
