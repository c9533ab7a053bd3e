"""The rights after the draw for the two staff groups (plans/migrations/0002_staff_groups.py).

配租管理员 import homes, call entrants to 资格复核 (add_recheck), set sessions and choose on an
entrant's behalf (add_session), keep 签约 slots and 选房规则, record 已签约 and release homes
(change_choice). 资格复核员 decide 资格复核 (review_recheck) and look at everything else.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PLAN_MANAGERS = "配租管理员"
REVIEWERS = "资格审核员"

MANAGER_PERMISSIONS = {
    "home": ("add", "view"),
    "choosingpolicy": ("add", "change", "view"),
    "recheck": ("add", "view"),
    "recheckdocumentcheck": ("view",),
    "session": ("add", "view"),
    "turn": ("view",),
    "choice": ("change", "view"),
    "signingslot": ("add", "change", "delete", "view"),
    "allocationevent": ("view",),
}
REVIEWER_PERMISSIONS = {
    "home": ("view",),
    "choosingpolicy": ("view",),
    "recheck": ("view", "review"),
    "recheckdocumentcheck": ("view",),
    "session": ("view",),
    "turn": ("view",),
    "choice": ("view",),
    "signingslot": ("view",),
    "allocationevent": ("view",),
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
            *Permission.objects.filter(content_type__app_label="allocation", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    allocation = Permission.objects.filter(content_type__app_label="allocation")
    for group in Group.objects.filter(name__in=[PLAN_MANAGERS, REVIEWERS]):
        group.permissions.remove(*allocation)


class Migration(migrations.Migration):
    dependencies = [
        ("allocation", "0001_homes_rechecks_sessions_choices"),
        ("plans", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
