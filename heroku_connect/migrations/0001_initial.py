"""The two unmanaged trigger-log models (state only: Heroku Connect owns the tables).

The table names follow ``HEROKU_CONNECT_SCHEMA``, like the models, so ``makemigrations --check``
stays clean in projects that use another schema.
"""

from django.db import migrations, models

from heroku_connect.conf import settings

TRIGGER_LOG_ACTION_CHOICES = [("DELETE", "DELETE"), ("INSERT", "INSERT"), ("UPDATE", "UPDATE")]
TRIGGER_LOG_STATE_CHOICES = [
    (state, state)
    for state in (
        "FAILED",
        "IGNORE",
        "IGNORED",
        "MERGED",
        "NEW",
        "PENDING",
        "READONLY",
        "REQUEUE",
        "REQUEUED",
        "SUCCESS",
    )
]


def _fields():
    return [
        ("id", models.BigAutoField(editable=False, primary_key=True, serialize=False)),
        ("txid", models.BigIntegerField(editable=False, null=True)),
        ("created_at", models.DateTimeField(editable=False, null=True)),
        ("updated_at", models.DateTimeField(editable=False, null=True)),
        ("processed_at", models.DateTimeField(editable=False, null=True)),
        ("table_name", models.CharField(editable=False, max_length=128)),
        ("record_id", models.BigIntegerField(editable=False)),
        ("sf_id", models.CharField(db_column="sfid", editable=False, max_length=18, null=True)),
        ("action", models.CharField(choices=TRIGGER_LOG_ACTION_CHOICES, max_length=7)),
        ("state", models.CharField(choices=TRIGGER_LOG_STATE_CHOICES, max_length=8)),
        ("sf_message", models.TextField(blank=True, null=True)),
        ("values", models.TextField(blank=True, null=True)),
        ("old", models.TextField(blank=True, null=True)),
    ]


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="TriggerLog",
            fields=_fields(),
            options={
                "verbose_name": "Trigger Log",
                "db_table": f'{settings.HEROKU_CONNECT_SCHEMA}"."_trigger_log',
                "ordering": ("id",),
                "get_latest_by": "created_at",
                "abstract": False,
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="TriggerLogArchive",
            fields=_fields(),
            options={
                "verbose_name": "Trigger Log (archived)",
                "verbose_name_plural": "Trigger Logs (archived)",
                "db_table": f'{settings.HEROKU_CONNECT_SCHEMA}"."_trigger_log_archive',
                "ordering": ("id",),
                "get_latest_by": "created_at",
                "abstract": False,
                "managed": False,
            },
        ),
    ]
