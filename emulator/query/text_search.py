"""Free-text search (``search.search`` of a Wix CursorSearch) compiled into an item predicate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.errors import invalid

from .fields import EntitySpec
from .operators import Predicate
from .values import describe_json

SEARCH_MODES = ("OR", "AND")
MAX_EXPRESSION_LENGTH = 100
MAX_SEARCH_FIELDS = 20


def compile_text_search(
    raw: Any, spec: EntitySpec, path: str = "search.search"
) -> Predicate | None:
    """Compile a free-text search object, or return None when it does not restrict the result.

    The expression splits into whitespace-separated terms. A term matches an item when it
    is a case-insensitive substring of one of the searched fields. Mode OR (the default)
    needs one matching term and AND needs all of them. ``fuzzy`` is accepted and ignored.
    """
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise invalid(path, f"Search must be a JSON object (got {describe_json(raw)}).", "FORMAT")
    match_every_term = _parse_mode(raw.get("mode"), f"{path}.mode")
    _check_fuzzy(raw.get("fuzzy"), f"{path}.fuzzy")
    getters = _searched_getters(raw.get("fields"), spec, f"{path}.fields")
    terms = _parse_terms(raw.get("expression"), f"{path}.expression")
    if not terms:
        return None
    if not getters:
        raise invalid(f"{path}.expression", f"Free-text search is not supported for a {spec.name}.")
    return _term_matcher(terms, getters, match_every_term)


def _parse_mode(mode: Any, path: str) -> bool:
    if mode is None:
        return False
    if mode not in SEARCH_MODES:
        raise invalid(path, f"Mode must be OR or AND (got {describe_json(mode)}).", "FORMAT")
    return bool(mode == "AND")


def _check_fuzzy(fuzzy: Any, path: str) -> None:
    if fuzzy is not None and not isinstance(fuzzy, bool):
        raise invalid(path, f"Fuzzy must be true or false (got {describe_json(fuzzy)}).", "FORMAT")


def _searched_getters(names: Any, spec: EntitySpec, path: str) -> list[Callable[[Any], Any]]:
    if names is None or names == []:
        return [spec.fields[name].get for name in spec.text_fields]
    if not isinstance(names, list):
        raise invalid(
            path, f"Fields must be a list of field names (got {describe_json(names)}).", "FORMAT"
        )
    if len(names) > MAX_SEARCH_FIELDS:
        raise invalid(
            path,
            f"At most {MAX_SEARCH_FIELDS} fields can be searched (got {len(names)}).",
            "MAX_SIZE",
        )
    getters = []
    for index, name in enumerate(names):
        if name not in spec.text_fields:
            supported = ", ".join(spec.text_fields) or "none"
            raise invalid(
                f"{path}[{index}]",
                f"Field {describe_json(name)} does not support free-text search. "
                f"Searchable fields: {supported}.",
            )
        getters.append(spec.fields[name].get)
    return getters


def _parse_terms(expression: Any, path: str) -> list[str]:
    if expression is None:
        return []
    if not isinstance(expression, str):
        raise invalid(
            path, f"The expression must be a string (got {describe_json(expression)}).", "FORMAT"
        )
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise invalid(
            path,
            f"The expression has {len(expression)} characters, "
            f"but the maximum is {MAX_EXPRESSION_LENGTH}.",
            "MAX_LENGTH",
        )
    return expression.casefold().split()


def _term_matcher(
    terms: list[str], getters: list[Callable[[Any], Any]], match_every_term: bool
) -> Predicate:
    def match(item: Any) -> bool:
        texts = [value.casefold() for get in getters if (value := get(item))]
        found = (any(term in text for text in texts) for term in terms)
        return all(found) if match_every_term else any(found)

    return match
