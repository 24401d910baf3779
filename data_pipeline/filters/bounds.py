"""Parameter types with bounds for filter constructors, checked when the config is read.

Annotate a threshold with one of these instead of a bare ``float``/``int``; the parameter model
that ``base.params_model`` derives from ``__init__`` then refuses values out of range, naming
the filter and the key. The contract tests require every numeric parameter to carry a bound.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

#: A share of something (lines, characters, words, a probability or score): in [0, 1].
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
#: A number of things (words, sentences, characters, matches): an integer >= 0.
Count = Annotated[int, Field(ge=0)]
#: A non-negative measure that is not a share (mean word length, newlines per word).
NonNegative = Annotated[float, Field(ge=0.0)]
