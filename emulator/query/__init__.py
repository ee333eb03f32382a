"""Query engine for every list-like endpoint: filters, free-text search, sort, cursor paging.

The engine works on plain Python objects through the getters of an ``EntitySpec`` and
does not depend on HTTP or the loyalty domain. Invalid input raises
``emulator.errors.ValidationError`` with the request path of the offending part.
"""

from .fields import EntitySpec, Field, SortKey
from .filters import compile_filter
from .paging import Page, parse_limit, run_page, select
from .sorting import parse_sort
from .text_search import compile_text_search

__all__ = [
    "EntitySpec",
    "Field",
    "Page",
    "SortKey",
    "compile_filter",
    "compile_text_search",
    "parse_limit",
    "parse_sort",
    "run_page",
    "select",
]
