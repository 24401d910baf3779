"""A stage's funnel as data: documents (and characters) per source, outcome and reason.

``Funnel.add(source, outcome, n, filter=None, reason=None, chars=None)`` records ``n``
documents of ``source`` with an outcome (``kept``, ``rejected``, ``quarantined``, ``heldout``)
or, with ``outcome="input"``, the input of a source counted on its own. A source without its
own input count has input = the sum of its outcomes. ``chars`` are the characters the
documents had when they came in (for a funnel made with ``chars=True``); ``chars_left``
those kept documents still have (default ``chars``); ``edited(filter, chars)`` records
characters a filter cut from kept documents.

``check()`` raises ``RuntimeError`` unless input = kept + rejected (+ quarantined, + heldout)
overall and per source, rejections add up over their reasons, and characters add up where
given (``chars.input = chars.kept + chars.rejected + sum(chars.edited.*)``).

``as_counts()`` gives the flat keys of the ``runs`` table (docs/conventions.md): ``input``,
``<outcome>``, ``rejected.<filter>.<reason>``, ``quarantined.<reason>``,
``source.<name>.<input|outcome>``, ``lang.<code>.<input|outcome>``, ``chars.input``,
``chars.<outcome>``, ``chars.rejected.<filter>.<reason>``, ``chars.source.<name>.<...>``,
``chars.edited.<filter>``, plus the stage's own counts given to ``extra``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from data_pipeline.conservation import verify_committed
from data_pipeline.lakehouse.tables import Lakehouse, TableVersion

OUTCOMES = ("kept", "rejected", "quarantined", "heldout")


class Funnel:
    """Counts of one stage run. ``outcomes`` always appear (0 if none), overall and for every
    source in ``sources`` or added; ``reasons`` are ``(filter, reason)`` pairs that always
    appear in ``rejected.<filter>.<reason>``."""

    def __init__(
        self,
        stage: str,
        outcomes: Iterable[str] = ("kept", "rejected"),
        sources: Iterable[str] = (),
        reasons: Iterable[tuple[str, str]] = (),
        chars: bool = False,
    ):
        self.stage = stage
        self.outcomes = tuple(outcomes)
        self.docs: Counter[str] = Counter({"input": 0, **dict.fromkeys(self.outcomes, 0)})
        self.chars: Counter[str] = Counter(dict.fromkeys(("input", "kept", "rejected"), 0))
        self.track_chars = chars
        self.extras: Counter[str] = Counter()
        self.sources: dict[str, Counter[str]] = {}
        self.inputs: dict[str, int] = {}
        for name in sources:
            self._source(name)
        for filter_name, reason in reasons:
            self.docs[f"rejected.{filter_name}.{reason}"] += 0

    def _source(self, name: str) -> Counter[str]:
        if name not in self.sources:
            self.sources[name] = Counter(dict.fromkeys(("input", *self.outcomes), 0))
        return self.sources[name]

    def add(
        self,
        source: str,
        outcome: str,
        n: int,
        filter: str | None = None,
        reason: str | None = None,
        chars: int | None = None,
        chars_left: int | None = None,
        lang: str | None = None,
    ) -> None:
        """Record ``n`` documents of ``source`` with ``outcome`` (or ``"input"``)."""
        if outcome != "input" and outcome not in OUTCOMES:
            raise ValueError(f"{self.stage}: unknown outcome {outcome!r}")
        n = int(n)
        per_source = self._source(source)
        if outcome == "input":
            self.inputs[source] = self.inputs.get(source, 0) + n
        else:
            self.docs[outcome] += n
            per_source[outcome] += n
            if reason is not None:
                self.docs[_reason_key(outcome, filter, reason)] += n
        if lang is not None:
            for part in {"input", outcome}:
                self.docs[f"lang.{lang}.{part}"] += n
        if chars is None:
            return
        if outcome == "input":
            raise ValueError(f"{self.stage}: give characters with the outcomes, not the input")
        chars = int(chars)
        spent = int(chars if chars_left is None else chars_left) if outcome == "kept" else chars
        self.chars["input"] += chars
        self.chars[f"source.{source}.input"] += chars
        self.chars[outcome] += spent
        self.chars[f"source.{source}.{outcome}"] += spent
        if reason is not None:
            self.chars[_reason_key(outcome, filter, reason)] += chars

    def edited(self, filter: str, chars: int, source: str | None = None) -> None:
        """Characters ``filter`` cut from documents (of ``source``) that were kept."""
        self.chars[f"edited.{filter}"] += int(chars)
        if source is not None:
            self.chars[f"source.{source}.edited"] += int(chars)

    def extra(self, key: str, n: int) -> None:
        """A count of the stage's own (events, tokens, timings): stored as ``key``."""
        self.extras[key] += int(n)

    def total(self, outcome: str) -> int:
        if outcome == "input":
            return sum(self.source_input(name) for name in self.sources)
        return self.docs[outcome]

    def source_input(self, name: str) -> int:
        counted = self.sources[name]
        return self.inputs.get(name, sum(counted[o] for o in OUTCOMES))

    def per_source(self, outcome: str) -> dict[str, int]:
        return {name: counted[outcome] for name, counted in self.sources.items()}

    def check(self) -> None:
        """Raise when documents or characters do not add up (overall, per source, reasons)."""
        problems = []
        for name, counted in sorted(self.sources.items()):
            parts = {o: counted[o] for o in OUTCOMES if counted[o] or o in self.outcomes}
            if self.source_input(name) != sum(parts.values()):
                problems.append(f"source {name}: input {self.source_input(name)} != {parts}")
        for outcome in ("rejected", "quarantined"):
            prefix = f"{outcome}."
            by_reason = [v for k, v in self.docs.items() if k.startswith(prefix)]
            if by_reason and sum(by_reason) != self.docs[outcome]:
                problems.append(f"{outcome} {self.docs[outcome]} != sum over reasons")
        if self.track_chars:
            edited = sum(v for k, v in self.chars.items() if k.startswith("edited."))
            # (chars.source.<name>.edited repeats per source what edited.<filter> sums)
            spent = sum(self.chars[o] for o in OUTCOMES) + edited
            if self.chars["input"] != spent:
                problems.append(
                    f"chars.input {self.chars['input']} != kept {self.chars['kept']} + rejected "
                    f"{self.chars['rejected']} + edited {edited}"
                )
        if problems:
            raise RuntimeError(f"{self.stage}: counts do not add up: " + "; ".join(problems))

    def as_counts(self) -> dict[str, int]:
        """The flat counts stored in the ``runs`` table (keys in the module docstring)."""
        counts: dict[str, int] = dict(self.docs)
        counts["input"] = self.total("input")
        for name, counted in sorted(self.sources.items()):
            counts[f"source.{name}.input"] = self.source_input(name)
            for outcome in OUTCOMES:
                if outcome in self.outcomes or counted[outcome]:
                    counts[f"source.{name}.{outcome}"] = counted[outcome]
        if self.track_chars:
            counts.update({f"chars.{k}": v for k, v in self.chars.items()})
        counts.update(self.extras)
        return counts

    def verify_committed(
        self,
        lake: Lakehouse,
        written: dict[str, TableVersion],
        output: str,
        run_id: str,
        whole_output: bool = False,
    ) -> None:
        """After the commits: the kept rows per source and the rejected rows this run
        committed equal the funnel (``conservation.verify_committed``)."""
        verify_committed(
            lake,
            written,
            self.per_source("kept"),
            self.docs["rejected"],
            output,
            self.stage,
            run_id,
            whole_output,
        )


def _reason_key(outcome: str, filter: str | None, reason: str) -> str:
    return f"{outcome}.{filter}.{reason}" if filter else f"{outcome}.{reason}"
