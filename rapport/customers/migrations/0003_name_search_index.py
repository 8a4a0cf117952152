"""Substring search on customer names served by an index: FTS5 trigram on SQLite, pg_trgm on PostgreSQL."""

from django.db import migrations

SQLITE_FORWARD = [
    # External-content table: the text lives in customers_customer, the index only holds trigrams.
    "CREATE VIRTUAL TABLE customers_customer_name_search USING fts5("
    "name, content='customers_customer', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER customers_customer_name_search_ai AFTER INSERT ON customers_customer BEGIN "
    "INSERT INTO customers_customer_name_search(rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER customers_customer_name_search_ad AFTER DELETE ON customers_customer BEGIN "
    "INSERT INTO customers_customer_name_search(customers_customer_name_search, rowid, name) "
    "VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER customers_customer_name_search_au AFTER UPDATE OF name ON customers_customer BEGIN "
    "INSERT INTO customers_customer_name_search(customers_customer_name_search, rowid, name) "
    "VALUES ('delete', old.id, old.name); "
    "INSERT INTO customers_customer_name_search(rowid, name) VALUES (new.id, new.name); END",
    "INSERT INTO customers_customer_name_search(customers_customer_name_search) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS customers_customer_name_search_au",
    "DROP TRIGGER IF EXISTS customers_customer_name_search_ad",
    "DROP TRIGGER IF EXISTS customers_customer_name_search_ai",
    "DROP TABLE IF EXISTS customers_customer_name_search",
]
# Django's icontains on PostgreSQL is UPPER(name::text) LIKE UPPER(%q%): index exactly that.
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm_idx ON customers_customer "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS customer_name_trgm_idx"]


def _run(statements_by_vendor: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_search_and_index_tuning")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
