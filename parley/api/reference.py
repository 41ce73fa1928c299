"""docs/api.md, written from the OpenAPI document so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from parley.api.schema import document


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "oneOf" in schema:
        return " or ".join(_type(s) for s in schema["oneOf"])
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    return str(kind) + (f" ({schema['format']})" if "format" in schema else "")


def _fields(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| Field | Type | Required | Notes |", "| --- | --- | --- | --- |"]
    for name, field in schema.get("properties", {}).items():
        notes = field.get("description", "")
        yes = "yes" if name in required else ""
        lines.append(f"| `{name}` | {_type(field)} | {yes} | {notes} |")
    return lines


def reference_markdown() -> str:
    doc = document()
    out = [
        "# Parley API reference",
        "",
        "Generated from the OpenAPI document (`/api/openapi.json`) by",
        "`python manage.py api_reference`; do not edit by hand.",
        "",
        doc["info"]["description"].rstrip(),
        "",
        "Make a token: `python manage.py api_token_create --user USERNAME --name NAME "
        "--scopes read,write --days 90`; revoke one: `python manage.py api_token_revoke PREFIX`.",
        "",
        "## Operations",
    ]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            out += ["", f"### `{method.upper()} {path}`", "", op["summary"], ""]
            if op.get("description"):
                out += [op["description"], ""]
            for parameter in op.get("parameters", []):
                where = parameter["in"]
                out.append(
                    f"- {where} `{parameter['name']}` ({_type(parameter['schema'])}): "
                    f"{parameter.get('description', '')}"
                )
            if op.get("requestBody"):
                body = op["requestBody"]["content"]["application/json"]["schema"]
                out.append(f"- body: {_type(body)}")
            for status, response in op["responses"].items():
                content = response.get("content", {}).get("application/json", {})
                shape = _type(content["schema"]) if content else ""
                out.append(f"- answers {status}: {response['description']} {shape}".rstrip())
    out += ["", "## Shapes"]
    for name, schema in doc["components"]["schemas"].items():
        out += ["", f"### {name}", ""]
        out += _fields(schema)
    return "\n".join(out) + "\n"
