"""The one NinjaAPI instance, version 1, with every domain's router."""

from __future__ import annotations

from ninja import NinjaAPI

from rapport.api.auth import SessionAuth, TokenAuth
from rapport.api.problems import install_problem_handlers

api = NinjaAPI(
    title="Rapport API",
    version="1",
    description=(
        "Customers, identities, notes, products, orders, shipments and wishlists. "
        "Authenticate with `Authorization: Bearer <token>` (scopes: customers:read, customers:write, "
        "commerce:read, commerce:write, audit:read) or a signed-in session with the CSRF token on writes. "
        "Errors are RFC 9457 problem documents with a stable `code`."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
)
install_problem_handlers(api)
