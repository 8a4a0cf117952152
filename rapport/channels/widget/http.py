"""What every public widget endpoint does before and after its own work: origin, CORS, limits, errors.

No staff session and no CSRF token: a host page on another origin calls these with fetch(). What
guards them instead: the widget must exist and be active, the request's Origin must be one of the
widget's allowed origins (exactly; anything else is 403 without CORS headers, so a browser on another
site cannot read the answer), bodies are capped, and writes are counted per address and per visitor.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from rapport.channels.models import ChatVisitor, Widget
from rapport.channels.widget.payloads import MAX_BODY_BYTES, PayloadError, read_json
from rapport.channels.widget.ratelimit import RateLimited
from rapport.channels.widget.visitors import visitor_for_token

VISITOR_HEADER = "X-Rapport-Visitor"
# Browsers keep a preflight this long (Chromium caps it at two hours), so polling costs one request.
PREFLIGHT_MAX_AGE = 600

PublicView = Callable[[HttpRequest, Widget], HttpResponse]


class UnknownVisitor(Exception):
    """No visitor has the token the request carries: the widget starts a new visitor."""


def error_response(status: int, code: str, detail: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail, **extra}, status=status)


def require_visitor(request: HttpRequest, widget: Widget) -> ChatVisitor:
    visitor = visitor_for_token(widget, request.headers.get(VISITOR_HEADER, ""))
    if visitor is None:
        raise UnknownVisitor
    return visitor


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Expose-Headers"] = "Retry-After"
    response["Vary"] = "Origin"
    # The answers are per visitor and per moment: no shared cache may keep them.
    response.setdefault("Cache-Control", "no-store")
    return response


def _preflight(methods: tuple[str, ...]) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = ", ".join((*methods, "OPTIONS"))
    response["Access-Control-Allow-Headers"] = f"Content-Type, {VISITOR_HEADER}"
    response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def _too_large(request: HttpRequest) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return declared > MAX_BODY_BYTES


def public_endpoint(*methods: str) -> Callable[[PublicView], Callable[..., HttpResponse]]:
    """Wrap a widget endpoint: find the widget, check the Origin, answer preflights, map errors to JSON."""

    def decorator(view: PublicView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, key: str) -> HttpResponse:
            widget = Widget.objects.select_related("calendar", "team").filter(key=key, is_active=True).first()
            if widget is None:
                return error_response(404, "no_widget", "there is no active widget with this key")
            origin = request.headers.get("Origin", "")
            if not widget.allows_origin(origin):
                return error_response(403, "origin_not_allowed", "this site may not use the widget")
            if request.method == "OPTIONS":
                return _cors(_preflight(methods), origin)
            response: HttpResponse
            if request.method not in methods:
                response = error_response(405, "method_not_allowed", f"use {' or '.join(methods)}")
                response["Allow"] = ", ".join((*methods, "OPTIONS"))
                return _cors(response, origin)
            if _too_large(request):
                return _cors(
                    error_response(413, "too_large", f"a request may hold at most {MAX_BODY_BYTES} bytes"),
                    origin,
                )
            try:
                response = view(request, widget)
            except RateLimited as limited:
                response = error_response(
                    429, "rate_limited", "too many requests; wait a moment", retry_after=limited.retry_after
                )
                response["Retry-After"] = str(limited.retry_after)
            except UnknownVisitor:
                response = error_response(401, "unknown_visitor", "start a new visitor session")
            except PayloadError as error:
                response = error_response(error.status, error.code, error.detail, field=error.field)
            return _cors(response, origin)

        return wrapper

    return decorator


def json_body(request: HttpRequest) -> dict[str, Any]:
    """A small JSON object body (the poll's, the typing flag's, the session's); {} when empty."""
    return read_json(request.body) if request.body else {}
