"""配租管理员 see the SMS outbox and resend failed texts (change_outboxmessage: the 重新发送
action; nothing in a row is editable). The group is named, not imported: this app sits below
the domain apps (plans/migrations/0002_staff_groups.py makes the same group)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PLAN_MANAGERS = "配租管理员"
CODENAMES = ["view_outboxmessage", "change_outboxmessage"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=PLAN_MANAGERS)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="messaging", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=PLAN_MANAGERS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="messaging"))


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_outbox"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
