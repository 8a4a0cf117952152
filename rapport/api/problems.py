"""Errors as RFC 9457 problem responses with stable codes, mapped in this one place."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from rapport.core.errors import RapportError

PROBLEM_TYPE_BASE = "https://rapport.invalid/problems/"


class Problem(Schema):
    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: Any = None


def problem(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Any = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


def install_problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(RapportError)
    def rapport_error(request: HttpRequest, exc: RapportError) -> HttpResponse:
        return problem(
            api,
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors or None,
        )

    @api.exception_handler(RequestDataTooBig)
    def request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return problem(
            api,
            request,
            status=413,
            code="request_too_large",
            title="Request too large",
            detail="the request body is larger than this server accepts (MAX_REQUEST_BODY_MB)",
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors
        ]
        return problem(
            api,
            request,
            status=422,
            code="invalid_request",
            title="Invalid request",
            detail="the request does not match the schema",
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = problem(
            api,
            request,
            status=401,
            code="not_authenticated",
            title="Not authenticated",
            detail="send a valid bearer token or sign in",
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(
            api,
            request,
            status=exc.status_code,
            code=f"http_{exc.status_code}",
            title="Request failed",
            detail=str(exc),
        )
