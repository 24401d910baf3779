"""Filter base class, registry and construction from YAML.

A filter is a small class: thresholds are keyword arguments of ``__init__`` with the published
defaults, and ``check(doc)`` returns ``None`` to keep the document or a stable snake_case reason
(optionally with a score, as ``Drop(reason, score)``). Filters never count: the chain and the stage
do (see ``chain.py``). Heavy resources (models, word lists) load in ``setup()``, which the chain
calls once per Spark partition before the first document.

In YAML a filter is ``name`` or ``{name: {param: value, ...}}``; the parameter model is derived
from the ``__init__`` signature, so unknown parameters are refused with the key named, and every
filter also accepts ``enabled: false`` to switch it off.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from abc import ABC, abstractmethod
from functools import cache
from typing import Any, ClassVar, NamedTuple

from pydantic import ValidationError, create_model

from data_pipeline.filters.doc import Doc
from data_pipeline.lakehouse.config import StrictModel


class Drop(NamedTuple):
    """Drop the document for ``reason``; ``score`` is the measured value that failed."""

    reason: str
    score: float | None = None


Result = Drop | str | None


class Filter(ABC):
    """Base of every filter. Subclasses set ``name`` and implement ``check``."""

    name: ClassVar[str] = ""

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Load models or lists; called once per partition before the first ``check``."""

    @abstractmethod
    def check(self, doc: Doc) -> Result:
        """Return None to keep ``doc``, or a snake_case reason (or ``Drop``) to drop it."""

    def skip(self, doc: Doc, reason: str) -> None:
        """Record that a rule of this filter could not apply to ``doc`` (e.g. no data for a
        language); counted as ``skipped.<filter>.<reason>``."""
        doc.count(f"skipped.{self.name}.{reason}")

    def params(self) -> dict[str, Any]:
        """The constructor arguments of this instance (for reports and the config hash)."""
        return {
            k: getattr(self, k)
            for k in inspect.signature(type(self).__init__).parameters
            if k != "self" and hasattr(self, k)
        }


FILTERS: dict[str, type[Filter]] = {}


def register_filter(cls: type[Filter]) -> type[Filter]:
    """Class decorator adding ``cls`` to the registry under ``cls.name``."""
    if not cls.name or (cls.name in FILTERS and FILTERS[cls.name] is not cls):
        raise ValueError(f"filter name {cls.name!r} is empty or registered twice")
    FILTERS[cls.name] = cls
    return cls


class FilterParams(StrictModel):
    """Base of every filter's parameter model: ``enabled`` (default true) switches it off."""

    enabled: bool = True


@cache
def params_model(cls: type[Filter]) -> type[FilterParams]:
    """A strict pydantic model of ``cls.__init__``'s keyword arguments, plus ``enabled``."""
    hints = typing.get_type_hints(cls.__init__, include_extras=True)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self":
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (hints.get(name, Any), default)
    return create_model(f"{cls.__name__}Params", __base__=FilterParams, **fields)


def validate_params(name: str, params: dict[str, Any] | None) -> FilterParams:
    """Check ``params`` of filter ``name``; return them as a model with defaults filled in.

    Raises ValueError naming the unknown filter or key (with a close match when there is one).
    """
    if name not in FILTERS:
        hint = difflib.get_close_matches(name, list(FILTERS), n=1)
        raise ValueError(
            f"unknown filter {name!r}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f"; known filters: {sorted(FILTERS)}"
        )
    model = params_model(FILTERS[name])
    try:
        return model.model_validate(params or {})
    except ValidationError as err:
        problems = []
        for item in err.errors():
            key = ".".join(str(p) for p in item["loc"])
            if item["type"] == "extra_forbidden":
                hint = difflib.get_close_matches(str(item["loc"][0]), list(model.model_fields), 1)
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                problems.append(f"filter {name!r}: unknown key {key!r}{extra}")
            else:
                problems.append(f"filter {name!r}: {key}: {item['msg']}")
        raise ValueError("; ".join(problems)) from None


def build_filter(name: str, params: dict[str, Any] | None = None) -> Filter | None:
    """Construct filter ``name`` from (validated) params; None when ``enabled`` is false."""
    checked = validate_params(name, params)
    if not checked.enabled:
        return None
    kwargs = {k: getattr(checked, k) for k in type(checked).model_fields if k != "enabled"}
    return FILTERS[name](**kwargs)


def as_drop(result: Result) -> Drop | None:
    """Normalise a ``check`` result to a ``Drop`` or None."""
    if result is None or isinstance(result, Drop):
        return result
    if isinstance(result, str):
        return Drop(result)
    raise TypeError(f"a filter must return None, a reason or Drop, not {result!r}")
