"""Check requests against the request schemas Zoom publishes (extracted by scripts/extract_zoom_schemas.py).

A request that breaks its operation's schema gets Zoom's validation error:
`400 {"code":300,"message":"Validation Failed.","errors":[{"field":…,"message":"Invalid field."}]}`.
Query and path values arrive as strings, so they are coerced to the schema's type before validation (a
`page_size=abc` is reported as invalid rather than crashing the handler).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator

from .errors import ZoomError


@functools.cache
def operations() -> dict[str, dict[str, Any]]:
    text = resources.files(__package__).joinpath("zoom_request_schemas.json").read_text(encoding="utf-8")
    return json.loads(text)["operations"]


@functools.cache
def _validator(schema_json: str) -> Draft4Validator:
    # OpenAPI 3.0 follows draft 4 semantics (boolean exclusiveMaximum); formats are documentation only here.
    return Draft4Validator(json.loads(schema_json))


def validation_failed(fields: list[str]) -> ZoomError:
    errors = [{"field": name, "message": "Invalid field."} for name in fields]
    return ZoomError(400, 300, "Validation Failed.", extra={"errors": errors})


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        try:
            return int(value)
        except ValueError:
            return value
    if "boolean" in kinds:
        return {"true": True, "false": False}.get(value.lower(), value)
    return value


def _field_name(error: Any) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        # "'meeting_number' is a required property" -> report the missing property itself.
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return ".".join(p for p in path if p) or "body"


def _body_schema(op: dict[str, Any], body: Any) -> dict[str, Any] | None:
    schema = op.get("body")
    if not schema or "oneOf" not in schema or not isinstance(body, dict):
        return schema
    # PATCH /rooms/{id}/events: a oneOf with one branch per `method`; validate against that method's branch so
    # the error names the offending param, not "matches none of 25 schemas".
    for branch in schema["oneOf"]:
        method_enum = branch.get("properties", {}).get("method", {}).get("enum", [])
        if body.get("method") in method_enum:
            return branch
    raise validation_failed(["method"])


def validate(op_key: str, path_params: dict[str, str], query: dict[str, str],
             body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate one request; return the path and query parameters coerced to their schema types."""
    op = operations()[op_key]
    bad: list[str] = []
    coerced_path: dict[str, Any] = {}
    for name, value in path_params.items():
        schema = op["path"].get(name, {})
        coerced_path[name] = _coerce(value, schema)
        if not _validator(json.dumps(schema, sort_keys=True)).is_valid(coerced_path[name]):
            bad.append(name)
    coerced_query: dict[str, Any] = {}
    for name, value in query.items():
        schema = op["query"].get(name)
        if schema is None:
            # Zoom ignores query parameters it does not know.
            continue
        coerced_query[name] = _coerce(value, schema)
        if not _validator(json.dumps(schema, sort_keys=True)).is_valid(coerced_query[name]):
            bad.append(name)
    bad.extend(name for name in op["required_query"] if name not in query)
    if bad:
        raise validation_failed(bad)
    if op.get("body") is not None and (body is not None or op.get("body_required")):
        schema = _body_schema(op, body)
        if schema is not None:
            errors = sorted(_validator(json.dumps(schema, sort_keys=True)).iter_errors(body),
                            key=lambda e: list(map(str, e.absolute_path)))
            if errors:
                raise validation_failed(sorted({_field_name(e) for e in errors}))
    return coerced_path, coerced_query
