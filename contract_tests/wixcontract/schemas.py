"""Check every response against the JSON Schemas in ``emulator/schemas``.

A request is matched to its route through the emulator's route table (every prefix of
every service, literal paths before ``{id}`` ones, as the server matches them), and the
route's handler names its 200 schema in ``emulator.rest.openapi.RESPONSES``. Error
responses must be the Wix error envelope, except 5xx responses, which Wix documents as
carrying no details.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource

from emulator.rest.app import SERVICES
from emulator.rest.openapi import RESPONSES
from emulator.schemas import load_all


class SchemaViolation(AssertionError):
    """A response body that does not match its schema."""


@dataclass(frozen=True)
class RoutePattern:
    method: str
    pattern: re.Pattern[str]
    template: str
    response: str | None


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


def route_patterns() -> list[RoutePattern]:
    patterns = []
    for prefixes, table in SERVICES:
        for prefix in prefixes:
            for method, path, handler, _wix_method in table:
                template = prefix + path
                response = RESPONSES.get(handler.__name__)
                patterns.append(RoutePattern(method, _compile(template), template, response))
    return patterns


def _resolve(reference: str, current_file: str, files: dict[str, Any]) -> tuple[Any, str]:
    """Return the schema that ``reference`` points at and the file it lives in."""
    file_name, _, pointer = reference.partition("#")
    file_name = file_name or current_file
    target: Any = files[file_name]
    for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target, file_name


def inline_references(
    schema: Any, current_file: str, files: dict[str, Any], seen: tuple[str, ...] = ()
) -> Any:
    """Copy ``schema`` with every ``$ref`` replaced by the schema it names.

    A reference back into a schema that is being inlined is kept as a ``$ref``, so
    recursive schemas stay valid. The validator's registry still resolves those.
    """
    if isinstance(schema, list):
        return [inline_references(item, current_file, files, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref")
    if isinstance(reference, str):
        target, target_file = _resolve(reference, current_file, files)
        key = f"{target_file}#{reference.partition('#')[2]}"
        if key in seen:
            file_name = reference.partition("#")[0] or current_file
            return {**schema, "$ref": f"{file_name}#{reference.partition('#')[2]}"}
        resolved = inline_references(target, target_file, files, (*seen, key))
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        if not siblings:
            return resolved
        return {"allOf": [resolved, inline_references(siblings, current_file, files, seen)]}
    return {
        key: value
        if key in ("$defs", "const", "enum", "examples")
        else inline_references(value, current_file, files, seen)
        for key, value in schema.items()
    }


class ResponseValidator:
    """Validate response bodies by method, path and status."""

    def __init__(self) -> None:
        resources = [(name, Resource.from_contents(body)) for name, body in load_all().items()]
        self._registry: Registry[Any] = Registry().with_resources(resources)
        self._files = load_all()
        self._routes = route_patterns()
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, reference: str) -> Draft202012Validator:
        """Return a validator of the schema at ``reference``, e.g. ``"account.json"``."""
        found = self._validators.get(reference)
        if found is None:
            # Every $ref is resolved once here; looking references up through the
            # registry on each validation took half of a state-machine step.
            inlined = inline_references({"$ref": reference}, "responses.json", self._files)
            found = Draft202012Validator(inlined, registry=self._registry)
            self._validators[reference] = found
        return found

    def route_of(self, method: str, path: str) -> RoutePattern | None:
        for route in self._routes:
            if route.method == method and route.pattern.match(path):
                return route
        return None

    def schema_reference(self, method: str, path: str, status: int) -> str | None:
        """Return the schema a response must match, or None when none applies."""
        if path.startswith("/_emulator"):
            return None
        if status >= 500:
            return None
        if status != 200:
            return "error.json"
        route = self.route_of(method, path)
        if route is None or route.response is None:
            return None
        return f"responses.json#/$defs/{route.response}"

    def check(self, method: str, path: str, status: int, body: Any) -> None:
        """Raise ``SchemaViolation`` listing every way ``body`` breaks its schema."""
        reference = self.schema_reference(method, path, status)
        if reference is None:
            return
        errors = sorted(self.validator(reference).iter_errors(body), key=lambda e: e.json_path)
        if errors:
            lines = [f"  {error.json_path}: {error.message}" for error in errors[:10]]
            raise SchemaViolation(
                f"{method} {path} returned {status} with a body that breaks {reference}:\n"
                + "\n".join(lines)
            )
