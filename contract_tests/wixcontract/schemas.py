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


class ResponseValidator:
    """Validate response bodies by method, path and status."""

    def __init__(self) -> None:
        resources = [(name, Resource.from_contents(body)) for name, body in load_all().items()]
        self._registry: Registry[Any] = Registry().with_resources(resources)
        self._routes = route_patterns()
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, reference: str) -> Draft202012Validator:
        """Return a validator of the schema at ``reference``, e.g. ``"account.json"``."""
        found = self._validators.get(reference)
        if found is None:
            found = Draft202012Validator({"$ref": reference}, registry=self._registry)
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
