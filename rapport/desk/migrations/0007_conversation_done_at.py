"""A stored "done at" on conversations, with an index that reads what is open at a moment as a range.

The service dashboard counted the backlog by computing COALESCE(resolved_at, closed_at) for every
conversation ever opened. The database now keeps that moment (only while the conversation is resolved
or closed) in a generated column, so no write path changes.

SQLite cannot add a stored generated column to a table: Django rebuilds desk_conversation, which drops
the triggers that keep the subject search index current (0002). They are created again after the
rebuild, both ways (removing the column rebuilds the table as well). The index's rows stay valid, as
conversation ids do not change. PostgreSQL adds the column in place (rewriting the table once).
"""

from django.db import migrations, models
from django.db.models.functions import Coalesce

# The conversation triggers of 0002_search_index, as they are there.
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS desk_conversation_search_ai",
    "DROP TRIGGER IF EXISTS desk_conversation_search_ad",
    "DROP TRIGGER IF EXISTS desk_conversation_search_au",
    "CREATE TRIGGER desk_conversation_search_ai AFTER INSERT ON desk_conversation BEGIN "
    "INSERT INTO desk_conversation_search(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE TRIGGER desk_conversation_search_ad AFTER DELETE ON desk_conversation BEGIN "
    "INSERT INTO desk_conversation_search(desk_conversation_search, rowid, subject) "
    "VALUES ('delete', old.id, old.subject); END",
    "CREATE TRIGGER desk_conversation_search_au AFTER UPDATE OF subject ON desk_conversation "
    "WHEN old.subject IS NOT new.subject BEGIN "
    "INSERT INTO desk_conversation_search(desk_conversation_search, rowid, subject) "
    "VALUES ('delete', old.id, old.subject); "
    "INSERT INTO desk_conversation_search(rowid, subject) VALUES (new.id, new.subject); END",
]


def restore_search_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0006_sla_policy_customer_tier"),
    ]

    operations = [
        # Backwards, this runs last: after the column is removed (and the table rebuilt).
        migrations.RunPython(migrations.RunPython.noop, restore_search_triggers),
        migrations.AddField(
            model_name="conversation",
            name="done_at",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(status__in=["resolved", "closed"], then=Coalesce("resolved_at", "closed_at")),
                    default=None,
                ),
                output_field=models.DateTimeField(null=True),
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["done_at", "created_at", "team", "assignee", "merged_into", "channel"],
                name="conv_done_created_idx",
            ),
        ),
        migrations.RunPython(restore_search_triggers, migrations.RunPython.noop),
    ]
