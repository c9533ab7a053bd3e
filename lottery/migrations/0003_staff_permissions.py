"""The lottery's rights for the two staff groups (plans/migrations/0002_staff_groups.py).

配租管理员 define priority groups, 冻结名单 (add_draw) and 录入种子并摇号 (change_draw);
资格审核员 may look at the draw and its entries, and change nothing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PLAN_MANAGERS = "配租管理员"
REVIEWERS = "资格审核员"

MANAGER_PERMISSIONS = {
    "draw": ("add", "change", "view"),
    "entry": ("view",),
    "prioritygroup": ("add", "change", "delete", "view"),
    "prioritygroupoffering": ("add", "change", "delete", "view"),
}
REVIEWER_PERMISSIONS = {
    "draw": ("view",),
    "entry": ("view",),
    "prioritygroup": ("view",),
    "prioritygroupoffering": ("view",),
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, models in ((PLAN_MANAGERS, MANAGER_PERMISSIONS), (REVIEWERS, REVIEWER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="lottery", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    lottery = Permission.objects.filter(content_type__app_label="lottery")
    for group in Group.objects.filter(name__in=[PLAN_MANAGERS, REVIEWERS]):
        group.permissions.remove(*lottery)


class Migration(migrations.Migration):
    dependencies = [
        ("lottery", "0002_immutable_after_draw"),
        ("plans", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
