"""The OpenAPI document: problem responses typed as RFC 9457 says, and its committed rendering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"


def committed_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "openapi.json"


class RapportAPI(NinjaAPI):
    """NinjaAPI whose document says that errors come as application/problem+json."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Short ids (list_customers) make readable generated clients; a test keeps them unique.
        return operation.view_func.__name__

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema["paths"].values():
            for operation in operations.values():
                if "requestBody" in operation:
                    # A body that is not JSON at all fails before validation, with 400.
                    operation["responses"].setdefault(
                        400,
                        {
                            "description": "Bad Request",
                            "content": {"application/json": {"schema": {"$ref": PROBLEM_REF}}},
                        },
                    )
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    json_body = content.get("application/json")
                    if json_body is not None and json_body.get("schema", {}).get("$ref") == PROBLEM_REF:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        return schema


def render_document(api: NinjaAPI) -> str:
    """The document as committed: pretty-printed, keys sorted, one trailing newline, so diffs are small."""
    return json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
