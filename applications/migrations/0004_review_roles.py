"""What each staff role may do with applications.

资格审核员 (reviewers) see registrations, every submitted version and its documents, check the
documents and decide on registrations. 配租管理员 (plan managers) see registrations and
submissions for reporting and the dashboard, but do not decide on them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER_PERMISSIONS = [
    "view_registration",
    "review_registration",
    "view_applicationinfo",
    "review_document",
    "view_documentcheck",
    "add_documentcheck",
    "change_documentcheck",
    "view_registrationevent",
]
MANAGER_PERMISSIONS = ["view_registration", "view_applicationinfo", "view_registrationevent"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("资格审核员", REVIEWER_PERMISSIONS), ("配租管理员", MANAGER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="applications", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0003_review_permission"),
        ("plans", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
