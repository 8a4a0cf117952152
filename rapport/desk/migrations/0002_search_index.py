"""Full-text search over message bodies and conversation subjects: FTS5 on SQLite, tsvector on PostgreSQL.

One index entry per message (keyed by the message id) and one per conversation subject (keyed by the
conversation id). A message's conversation is read from desk_message when searching, not stored in
the index, so a message moved by a merge or a split is found under its new conversation without
reindexing it. rapport/desk/selectors/search.py is the only reader.
"""

from django.db import migrations

# unicode61 with remove_diacritics 2 folds case and accents ("Café" finds "cafe"); prefix indexes of
# two and three characters serve the type-ahead prefix on the last word without merging every term.
TOKENIZE = "tokenize='unicode61 remove_diacritics 2', prefix='2 3'"

SQLITE_FORWARD = [
    # External content: the text stays in desk_message / desk_conversation, the index holds tokens.
    "CREATE VIRTUAL TABLE desk_message_search USING fts5("
    f"body_text, content='desk_message', content_rowid='id', {TOKENIZE})",
    "CREATE VIRTUAL TABLE desk_conversation_search USING fts5("
    f"subject, content='desk_conversation', content_rowid='id', {TOKENIZE})",
    "CREATE TRIGGER desk_message_search_ai AFTER INSERT ON desk_message BEGIN "
    "INSERT INTO desk_message_search(rowid, body_text) VALUES (new.id, new.body_text); END",
    "CREATE TRIGGER desk_message_search_ad AFTER DELETE ON desk_message BEGIN "
    "INSERT INTO desk_message_search(desk_message_search, rowid, body_text) "
    "VALUES ('delete', old.id, old.body_text); END",
    # Model.save() writes every column: the WHEN keeps a status change from reindexing the text.
    "CREATE TRIGGER desk_message_search_au AFTER UPDATE OF body_text ON desk_message "
    "WHEN old.body_text IS NOT new.body_text BEGIN "
    "INSERT INTO desk_message_search(desk_message_search, rowid, body_text) "
    "VALUES ('delete', old.id, old.body_text); "
    "INSERT INTO desk_message_search(rowid, body_text) VALUES (new.id, new.body_text); END",
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
    "INSERT INTO desk_message_search(desk_message_search) VALUES ('rebuild')",
    "INSERT INTO desk_conversation_search(desk_conversation_search) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS desk_conversation_search_au",
    "DROP TRIGGER IF EXISTS desk_conversation_search_ad",
    "DROP TRIGGER IF EXISTS desk_conversation_search_ai",
    "DROP TRIGGER IF EXISTS desk_message_search_au",
    "DROP TRIGGER IF EXISTS desk_message_search_ad",
    "DROP TRIGGER IF EXISTS desk_message_search_ai",
    "DROP TABLE IF EXISTS desk_conversation_search",
    "DROP TABLE IF EXISTS desk_message_search",
]

# PostgreSQL: 'simple' (no stemming, no stop words: names, order numbers and product codes are what
# agents search for), with unaccent in front where the server has it. Punctuation becomes a space
# before parsing, so "anna@example.com" or "A-1042" index their parts as SQLite's tokenizer does.
#
# The tsvector is a stored generated column, not only an index expression: a search reads the newest
# matches (ORDER BY id DESC LIMIT), and for a common word PostgreSQL walks the primary key testing each
# row. With an expression index that test re-parses every body (measured: 23 s for "order" over two
# million messages, the bitmap going lossy and rechecking 700,000 rows); with a stored vector it is a
# lookup. Django does not know these columns and never writes them; PostgreSQL fills them.
_PG_VECTOR = (
    "tsvector GENERATED ALWAYS AS "
    "(to_tsvector('rapport_search'::regconfig, regexp_replace({column}, '[[:punct:]]+', ' ', 'g'))) STORED"
)
POSTGRES_FORWARD = [
    """
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'rapport_search') THEN
            CREATE TEXT SEARCH CONFIGURATION rapport_search (COPY = simple);
            BEGIN
                CREATE EXTENSION IF NOT EXISTS unaccent;
                ALTER TEXT SEARCH CONFIGURATION rapport_search
                    ALTER MAPPING FOR word, numword, hword, hword_part, numhword, hword_numpart
                    WITH unaccent, simple;
            EXCEPTION WHEN OTHERS THEN
                -- Without the unaccent extension accents count; search works otherwise the same.
                NULL;
            END;
        END IF;
    END
    $$
    """,
    "ALTER TABLE desk_message ADD COLUMN IF NOT EXISTS search_vector "
    + _PG_VECTOR.format(column="body_text"),
    "ALTER TABLE desk_conversation ADD COLUMN IF NOT EXISTS search_vector "
    + _PG_VECTOR.format(column="subject"),
    "CREATE INDEX IF NOT EXISTS desk_message_search_idx ON desk_message USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS desk_conversation_search_idx ON desk_conversation USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS desk_conversation_search_idx",
    "DROP INDEX IF EXISTS desk_message_search_idx",
    "ALTER TABLE desk_conversation DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE desk_message DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS rapport_search",
]


def _run(statements_by_vendor: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
