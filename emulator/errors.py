"""Errors that the emulator returns in the Wix error envelope.

Every rejection raised by domain code is a ``WixError``; the REST layer renders it as
``{"message", "details": {...}}`` with the error's HTTP status::

    WixError                      applicationError {code, description, data}
    ├── ValidationError           400, validationError {fieldViolations}
    ├── UnauthenticatedError      401 UNAUTHENTICATED
    ├── PermissionDeniedError     403 PERMISSION_DENIED
    ├── NotFoundError             404 NOT_FOUND (or a more specific code)
    ├── MethodNotAllowedError     405 METHOD_NOT_ALLOWED
    ├── ConflictError             409 ALREADY_EXISTS, REVISION_MISMATCH, ...
    ├── PreconditionError         428 FAILED_PRECONDITION, ...
    └── RateLimitedError          429 RESOURCE_EXHAUSTED
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldViolation:
    """One entry of ``validationError.fieldViolations``.

    ``violated_rule`` uses the Wix rule names: REQUIRED_FIELD, FORMAT, MIN, MAX,
    MIN_LENGTH, MAX_LENGTH, MAX_SIZE, OTHER.
    """

    field: str
    description: str
    violated_rule: str = "OTHER"
    data: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "field": self.field,
            "description": self.description,
            "violatedRule": self.violated_rule,
            "ruleName": "VALIDATION_ERROR",
        }
        if self.data:
            body["data"] = self.data
        return body


class WixError(Exception):
    """A rejection rendered as ``details.applicationError`` with a string code."""

    status: int = 400
    default_code: str = "INVALID_ARGUMENT"

    def __init__(
        self,
        description: str,
        *,
        code: str | None = None,
        status: int | None = None,
        message: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.code = code or self.default_code
        if status is not None:
            self.status = status
        self.message = message or description
        self.data = data or {}

    def details(self) -> dict[str, Any]:
        return {
            "applicationError": {
                "code": self.code,
                "description": self.description,
                "data": self.data,
            }
        }

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "details": self.details()}


class ValidationError(WixError):
    """Input that breaks a format, required-field or range rule (HTTP 400)."""

    status = 400
    default_code = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation]) -> None:
        self.violations = violations
        summary = "; ".join(f'"{v.field}" {v.description}' for v in violations)
        super().__init__(f"INVALID_ARGUMENT: {summary}")

    def details(self) -> dict[str, Any]:
        return {"validationError": {"fieldViolations": [v.to_json() for v in self.violations]}}


def invalid(field_path: str, description: str, rule: str = "OTHER") -> ValidationError:
    """Build a one-violation ``ValidationError``."""
    return ValidationError([FieldViolation(field_path, description, rule)])


class UnauthenticatedError(WixError):
    status = 401
    default_code = "UNAUTHENTICATED"


class PermissionDeniedError(WixError):
    status = 403
    default_code = "PERMISSION_DENIED"


class NotFoundError(WixError):
    status = 404
    default_code = "NOT_FOUND"


class MethodNotAllowedError(WixError):
    status = 405
    default_code = "METHOD_NOT_ALLOWED"


class ConflictError(WixError):
    status = 409
    default_code = "ALREADY_EXISTS"


class PreconditionError(WixError):
    status = 428
    default_code = "FAILED_PRECONDITION"


class RateLimitedError(WixError):
    status = 429
    default_code = "RESOURCE_EXHAUSTED"

    def __init__(self, description: str, *, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = retry_after
