"""The one NinjaAPI instance, version 1, with every domain's router."""

from __future__ import annotations

from rapport.accounts.permissions import SCOPES
from rapport.api.auth import SessionAuth, TokenAuth
from rapport.api.openapi import RapportAPI
from rapport.api.problems import install_problem_handlers
from rapport.api.rendering import RapportJSONRenderer
from rapport.api.v1 import audit, channels, commerce, customers, desk, listening_reports
from rapport.api.v1 import insights as insights_api
from rapport.api.v1 import insights_relationships as relationships_api
from rapport.api.v1 import listening as listening_api
from rapport.api.v1 import recovery as recovery_api
from rapport.api.v1 import surveys as surveys_api
from rapport.api.v1 import webhooks as webhooks_api

api = RapportAPI(
    title="Rapport API",
    version="1",
    description=(
        "Customers, identities, notes, products, orders, shipments and wishlists; the service desk's "
        "conversations, messages, notes, assignment, status, tags, macros, search and event stream. "
        f"Authenticate with `Authorization: Bearer <token>` (scopes: {', '.join(SCOPES)}) or a "
        "signed-in session with the CSRF token on writes. "
        "Errors are RFC 9457 problem documents with a stable `code`. "
        "Lists take `limit` (default 50, at most 200) and `offset` and answer `{count, items}`. "
        "Money is a decimal string; times are ISO 8601 with a time zone."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
    renderer=RapportJSONRenderer(),
)
install_problem_handlers(api)
api.add_router("", customers.router)
api.add_router("", commerce.router)
api.add_router("", audit.router)
api.add_router("", desk.router)
api.add_router("", channels.router)
api.add_router("", recovery_api.router)
api.add_router("", webhooks_api.router)
api.add_router("", listening_api.router)
api.add_router("", surveys_api.router)
api.add_router("", listening_reports.router)
api.add_router("", insights_api.router)
api.add_router("", relationships_api.router)
