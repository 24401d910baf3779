"""Document filters: one small class per file, registered by name (see ``base.py``).

Importing this package registers the built-in filters: ``langid``, ``gopher_quality``,
``gopher_repetition``, ``c4``, ``fineweb``, ``quality_classifier``, ``safety``, ``pii``, ``domain``.
"""

from data_pipeline.filters import (  # noqa: F401 - importing registers the filters
    c4,
    domain,
    fineweb,
    gopher_quality,
    gopher_repetition,
    langid,
    pii,
    quality_classifier,
    safety,
)
from data_pipeline.filters.base import FILTERS, Drop, Filter, build_filter, register_filter
from data_pipeline.filters.doc import Doc

__all__ = ["FILTERS", "Doc", "Drop", "Filter", "build_filter", "register_filter"]
