"""The dashboard's permissions and the ready-made groups Viewers, Operators and Administrators.

Permissions are normally created after ``migrate`` (post_migrate); they are created here first
so that the groups can hold them. Both ways use the same content type and codenames.
"""

from django.db import migrations

PERMISSIONS = {
    "view_dashboard": "Can view the operator dashboard",
    "retry_writes": "Can retry failed trigger-log writes",
    "ignore_writes": "Can ignore failed trigger-log writes",
    "manage_mappings": "Can manage Heroku Connect mappings and connections",
}

GROUPS = {
    "Viewers": ("view_dashboard",),
    "Operators": ("view_dashboard", "retry_writes", "ignore_writes"),
    "Administrators": ("view_dashboard", "retry_writes", "ignore_writes", "manage_mappings"),
}


def create_groups(apps, schema_editor):
    alias = schema_editor.connection.alias
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    group_model = apps.get_model("auth", "Group")
    content_type, _ = content_type_model.objects.using(alias).get_or_create(
        app_label="dashboard", model="dashboardaccess"
    )
    permissions = {}
    for codename, name in PERMISSIONS.items():
        permissions[codename], _ = permission_model.objects.using(alias).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    for group_name, codenames in GROUPS.items():
        group, _ = group_model.objects.using(alias).get_or_create(name=group_name)
        group.permissions.add(*(permissions[codename] for codename in codenames))


def remove_groups(apps, schema_editor):
    alias = schema_editor.connection.alias
    group_model = apps.get_model("auth", "Group")
    group_model.objects.using(alias).filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
