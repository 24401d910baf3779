"""Names that end up in paths: run ids, run names, table names and artifact names.

One strict pattern for all of them: a letter or digit, then up to 127 letters, digits, ``_``,
``-`` or ``.`` (so never ``/``, ``..`` alone, spaces or control characters). Artifact names may
be several such segments joined by ``/`` (``model/demo-1a2b3c4d``). Every entry point checks
names with ``check_name`` (CLI, flows, deployments through the ``RunId`` parameter type, config
models through ``TableName``), and code that derives a path from a name also checks the result
with ``within`` so that it stays under its root.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from pydantic import StringConstraints

#: How runs and configs name an artifact version: ``artifact:<name>[@<version>]``.
ARTIFACT_PREFIX = "artifact:"

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
_NAME = re.compile(NAME_PATTERN)
RULE = "letters, digits, '_', '-' and '.', starting with a letter or digit, at most 128"

#: A run id / run name / table name as a pydantic (and Prefect parameter) type.
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
RunId = Name
TableName = Name


class InvalidName(ValueError):
    """A name that could escape its folder or is otherwise not allowed."""


def check_name(value: str, what: str = "name") -> str:
    """``value`` if it matches the name pattern; else InvalidName naming ``what``."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidName(f"{what} {value!r} is not allowed: use {RULE} characters")
    return value


def check_artifact_name(value: str) -> str:
    """An artifact name: one or more names joined by ``/``."""
    if not isinstance(value, str) or not all(_NAME.match(p) for p in value.split("/")):
        raise InvalidName(
            f"artifact name {value!r} is not allowed: '/'-separated parts of {RULE} characters"
        )
    return value


def within(root: str | Path, path: str | Path, what: str = "path") -> Path:
    """``path`` resolved, refused unless it lies under ``root`` (resolved too)."""
    base = Path(os.path.realpath(root))
    target = Path(os.path.realpath(path))
    if target != base and not target.is_relative_to(base):
        raise InvalidName(f"{what} {str(path)!r} resolves outside {str(base)!r}; refused")
    return target


def arg_type(what: str):
    """An argparse ``type=`` that checks a name (the CLI's error then names the option)."""
    import argparse

    def parse(value: str) -> str:
        try:
            return check_name(value, what)
        except InvalidName as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    parse.__name__ = what.replace(" ", "_")
    return parse
