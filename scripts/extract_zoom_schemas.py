#!/usr/bin/env python3
"""Extract the request schemas of the Zoom operations the simulator serves from Zoom's OpenAPI documents.

Reads `specs/zoom/{rooms,meetings,users,accounts}-api.json` under the shared directory (default: `../shared`
beside the repository, or `/work/shared`) and writes `bot/zoom/simulator/zoom_request_schemas.json`: for each
operation its path and query parameter schemas and its JSON body schema, converted from OpenAPI 3.0 to plain
JSON Schema (`nullable` becomes a `null` type, documentation-only keywords are dropped so the file stays small).
tests/zoom_sim/test_schemas.py re-runs the extraction and fails when the committed file is stale.

Usage: python scripts/extract_zoom_schemas.py [SHARED_DIR] [--check]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "bot" / "zoom" / "simulator" / "zoom_request_schemas.json"

# (spec file, HTTP method, path template): exactly the operations the simulator serves.
OPERATIONS: list[tuple[str, str, str]] = [
    ("rooms-api.json", "get", "/rooms"),
    ("rooms-api.json", "get", "/rooms/{roomId}"),
    ("rooms-api.json", "patch", "/rooms/{id}/events"),
    ("meetings-api.json", "post", "/users/{userId}/meetings"),
    ("meetings-api.json", "get", "/meetings/{meetingId}"),
    ("meetings-api.json", "patch", "/meetings/{meetingId}"),
    ("meetings-api.json", "delete", "/meetings/{meetingId}"),
    ("users-api.json", "get", "/users/{userId}"),
    ("users-api.json", "get", "/users/{userId}/settings"),
    ("accounts-api.json", "get", "/accounts/{accountId}/settings"),
    ("accounts-api.json", "get", "/accounts/{accountId}/lock_settings"),
]

# Keywords that only document a schema; dropping them keeps validation identical and the file small.
DOC_KEYWORDS = {"description", "example", "examples", "externalDocs", "title", "deprecated", "xml", "default",
                "readOnly", "writeOnly", "discriminator"}


def find_shared(explicit: str | None = None) -> Path | None:
    candidates = [Path(explicit)] if explicit else [REPO.parent / "shared", Path("/work/shared")]
    return next((c for c in candidates if (c / "specs" / "zoom" / "rooms-api.json").is_file()), None)


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema object -> JSON Schema (draft 4 semantics, which OpenAPI 3.0 follows)."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DOC_KEYWORDS or key.startswith("x-") or key == "nullable":
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        else:
            out[key] = to_json_schema(value)
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def load_spec(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    # meetings-api.json and users-api.json are wrapped as {"source", "sourceUrl", ..., "spec": {...}}.
    return data["spec"] if "spec" in data and "paths" not in data else data


def extract(shared: Path) -> dict[str, Any]:
    spec_dir = shared / "specs" / "zoom"
    specs: dict[str, dict[str, Any]] = {}
    result: dict[str, Any] = {"generated_by": "scripts/extract_zoom_schemas.py", "sources": {}, "operations": {}}
    for file_name, method, path in OPERATIONS:
        if file_name not in specs:
            raw = (spec_dir / file_name).read_bytes()
            result["sources"][file_name] = hashlib.sha256(raw).hexdigest()
            specs[file_name] = load_spec(spec_dir / file_name)
        path_item = specs[file_name]["paths"][path]
        operation = path_item[method]
        params = [*path_item.get("parameters", []), *operation.get("parameters", [])]
        entry: dict[str, Any] = {"spec": file_name, "operationId": operation.get("operationId"),
                                 "path": {}, "query": {}, "required_query": [], "body": None,
                                 "body_required": False}
        for param in params:
            where = param.get("in")
            if where not in ("path", "query"):
                continue
            entry[where][param["name"]] = to_json_schema(param.get("schema", {}))
            if where == "query" and param.get("required"):
                entry["required_query"].append(param["name"])
        body = operation.get("requestBody")
        if body:
            content = body.get("content", {}).get("application/json")
            if content and "schema" in content:
                entry["body"] = to_json_schema(content["schema"])
                entry["body_required"] = bool(body.get("required"))
        result["operations"][f"{method.upper()} {path}"] = entry
    return result


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    shared = find_shared(args[0] if args else None)
    if shared is None:
        print("shared directory with specs/zoom/*.json not found", file=sys.stderr)
        return 2
    text = render(extract(shared))
    if check:
        same = OUTPUT.is_file() and OUTPUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUTPUT} is stale: re-run scripts/extract_zoom_schemas.py")
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
