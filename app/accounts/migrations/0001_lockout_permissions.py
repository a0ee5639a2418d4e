"""Administrators see login lockouts and lift them (django-axes' ``view_accessattempt`` and
``delete_accessattempt``).

The permission rows are created here because Django only creates them after ``migrate``
finishes (post_migrate), too late for a data migration; the group is created if the dashboard's
migration has not created it yet (get_or_create on both sides).
"""

from django.db import migrations

PERMISSIONS = {
    "view_accessattempt": "Can view access attempt",
    "delete_accessattempt": "Can delete access attempt",
}
GROUP = "Administrators"


def grant(apps, schema_editor):
    alias = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.using(alias).get_or_create(
        app_label="axes", model="accessattempt"
    )
    group, _ = Group.objects.using(alias).get_or_create(name=GROUP)
    for codename, name in PERMISSIONS.items():
        permission, _ = Permission.objects.using(alias).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    alias = schema_editor.connection.alias
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.using(alias).filter(
        content_type__app_label="axes", codename__in=PERMISSIONS
    )
    for group in Group.objects.using(alias).filter(name=GROUP):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("axes", "0010_accessattemptexpiration"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
