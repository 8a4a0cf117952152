"""Full-text search over conversation subjects and message bodies, on SQLite FTS5 or PostgreSQL.

A conversation matches when its subject, or one of its messages (internal notes included: only staff
search), holds every word of the query; the last word also matches as a prefix, so results follow
typing. Case and accents do not count. Migration 0002_search_index builds the index and keeps it
current: FTS5 tables maintained by triggers on SQLite, stored tsvector columns with GIN indexes on
PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from rapport.accounts.permissions import Actor
from rapport.desk.models import Conversation
from rapport.desk.selectors.conversations import conversations_visible_to

# How many conversations a search returns, newest activity first.
SEARCH_LIMIT = 100
# A word found in nearly every message would otherwise turn every search into a walk over millions
# of index entries. Each source (messages, subjects) contributes its newest MATCH_CAP matches, which
# are the most recent conversations: what recency order shows first anyway. The price: an inbox view
# narrowed further (mine, one team) finds such a word only among those newest matches. On PostgreSQL
# the cost of a word in about 1% of messages grows with the cap (the planner walks the primary key
# back until it has MATCH_CAP rows, or reads every match): 2000 gave 180 ms at worst over 2M
# messages, 1000 gives 63 ms (bench/desk.py).
MATCH_CAP = 1000
# More words than this narrow nothing a person would notice and only make the query longer.
MAX_TERMS = 8
# The last word is also searched as a prefix from this length on.
PREFIX_MIN = 2

# Runs of letters and digits: what both engines' tokenizers call a word. Everything else, including
# every character of FTS5 and tsquery syntax (quotes, *, ^, :, -, parentheses), separates words, so
# no query text can reach either engine as syntax.
_WORD = re.compile(r"[^\W_]+")


def search_terms(query: str) -> list[str]:
    """The words of a query as the index sees them: letters and digits only, at most MAX_TERMS."""
    return _WORD.findall(unicodedata.normalize("NFKC", query))[:MAX_TERMS]


def _fts5_query(terms: list[str], *, prefix: bool) -> str:
    # Each word is a quoted FTS5 string (doubling a quote is the only escape, kept although a word
    # cannot hold one), so AND, NEAR or OR typed by a user are plain words.
    phrases = ['"' + term.replace('"', '""') + '"' for term in terms]
    return " ".join(phrases) + ("*" if prefix else "")


def _tsquery(terms: list[str], *, prefix: bool) -> str:
    # Words hold no tsquery syntax (& | ! ( ) : * ' <), so joining them with & is the whole query.
    return " & ".join(terms) + (":*" if prefix else "")


# SQLite: the prefix is what costs. FTS5 merges the entries of every word that starts with it, which
# for "thank" (thank, thanks) is most of the index. When the whole words alone already fill MATCH_CAP,
# the newest matches are found without the prefix, so the prefix is searched only when it can add
# results. The pattern comes from a scalar subquery that SQLite evaluates once, before the index is read.
_SQLITE_SQL = """
WITH pattern(text) AS (
  SELECT CASE WHEN (
    SELECT count(*) FROM (
      SELECT rowid FROM desk_message_search WHERE desk_message_search MATCH %s ORDER BY rowid DESC LIMIT %s
    )
  ) >= %s THEN %s ELSE %s END
)
SELECT conversation_id FROM desk_message WHERE id IN (
  SELECT rowid FROM desk_message_search WHERE desk_message_search MATCH (SELECT text FROM pattern)
  ORDER BY rowid DESC LIMIT %s
)
UNION
SELECT id FROM (
  SELECT rowid AS id FROM desk_conversation_search
  WHERE desk_conversation_search MATCH (SELECT text FROM pattern)
  ORDER BY rowid DESC LIMIT %s
)
"""
# PostgreSQL: search_vector is a stored column (migration 0002), so testing a row is cheap, and the
# query is a constant the planner can estimate from the column's statistics: it walks the primary key
# backwards, testing each row, for a common word, and reads the GIN index for a rare one.
_POSTGRES_SQL = """
SELECT conversation_id FROM (
  SELECT conversation_id FROM desk_message WHERE search_vector @@ to_tsquery('rapport_search', %s)
  ORDER BY id DESC LIMIT %s
) AS by_message
UNION
SELECT id FROM (
  SELECT id FROM desk_conversation WHERE search_vector @@ to_tsquery('rapport_search', %s)
  ORDER BY id DESC LIMIT %s
) AS by_subject
"""


def _matching_sql(terms: list[str]) -> tuple[str, list[Any]]:
    """SQL for the ids of matching conversations: the newest MATCH_CAP by message and by subject."""
    # A one-letter prefix would match most of the vocabulary: such a word is only searched whole.
    prefix = len(terms[-1]) >= PREFIX_MIN
    if connection.vendor == "sqlite":
        whole, widened = _fts5_query(terms, prefix=False), _fts5_query(terms, prefix=prefix)
        return _SQLITE_SQL, [whole, MATCH_CAP, MATCH_CAP, whole, widened, MATCH_CAP, MATCH_CAP]
    tsquery = _tsquery(terms, prefix=prefix)
    return _POSTGRES_SQL, [tsquery, MATCH_CAP, tsquery, MATCH_CAP]


def matching_conversation_ids(query: str) -> list[int]:
    """Ids of conversations whose subject or one message holds every word of the query.

    Not scoped to anyone: callers filter a selector's queryset with it (``pk__in=``). The query is
    passed to the database as a parameter only; any text is a valid query, and one without a letter or
    digit matches nothing.

    The ids are read first, as a list of at most 2 * MATCH_CAP: as a subquery, PostgreSQL's planner
    cannot know how few rows it yields and joins it to every conversation (a sequential scan of the
    table); a list of constants is looked up by primary key.
    """
    terms = search_terms(query)
    if not terms:
        return []
    sql, params = _matching_sql(terms)
    with connection.cursor() as cursor:
        # The SQL is one of two constants; the user's words reach the database as parameters only.
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def search_conversations(actor: Actor, query: str) -> QuerySet[Conversation]:
    """Conversations the actor may see that match the query, most recent activity first, limited."""
    # Pick the page's ids first: sorting thousands of candidates costs little while each is an id and
    # a time, and a lot once each carries every column of a conversation, its customer and assignee.
    newest = (
        conversations_visible_to(actor)
        .filter(pk__in=matching_conversation_ids(query))
        .order_by("-last_message_at", "-id")
        .values("pk")[:SEARCH_LIMIT]
    )
    return (
        Conversation.objects.filter(pk__in=newest)
        .select_related("customer", "assignee", "team")
        .order_by("-last_message_at", "-id")
    )
