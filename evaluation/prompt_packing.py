"""Prefix-shared packing of scoring requests into rows with a tree-shaped attention mask.

A *segment* is one context followed by the continuations that share it (the choices of a
multiple-choice item). In a row the context appears once and each continuation is a branch that
attends to the context and to its own earlier tokens only; position ids restart after the context
for every branch. So a 4-choice item costs ``len(context) + sum(len(choice) - 1)`` tokens instead
of ``4 * (len(context) + len(choice))``, and several segments share one row (no padding waste).
The log-probabilities equal those of scoring each (context, continuation) pair on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Segment:
    """A shared context (>= 1 token) and continuations (>= 1 token each) with their request keys."""

    context: list[int]
    continuations: list[list[int]] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Tokens the segment occupies in a row (the last token of a branch is only a target)."""
        return len(self.context) + sum(len(c) - 1 for c in self.continuations)


@dataclass
class PackedBatch:
    """Model inputs for a group of rows plus where each scored token is predicted.

    ``targets[i] = (row, position, token, key)``: the logit at ``(row, position)`` predicts
    ``token``, which belongs to the continuation of request ``key``.
    """

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    attention_mask: torch.Tensor
    targets: list[tuple[int, int, int, int]]


def pack_rows(lengths: list[int], row_len: int) -> list[list[int]]:
    """First-fit-decreasing packing of segment lengths into rows of ``row_len`` tokens."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    rows: list[list[int]] = []
    free: list[int] = []
    for index in order:
        size = lengths[index]
        if size > row_len:
            raise ValueError(f"segment of {size} tokens does not fit a row of {row_len}")
        for r, space in enumerate(free):
            if space >= size:
                rows[r].append(index)
                free[r] -= size
                break
        else:
            rows.append([index])
            free.append(row_len - size)
    return rows


def build_batch(segments: list[Segment], rows: list[list[int]], pad_id: int) -> PackedBatch:
    """Lay the segments of ``rows`` out as padded tensors with a tree attention mask."""
    width = max(sum(segments[i].length for i in row) for row in rows)
    n = len(rows)
    ids = torch.full((n, width), pad_id, dtype=torch.long)
    pos = torch.zeros((n, width), dtype=torch.long)
    seg = torch.arange(-1, -width - 1, -1).repeat(n, 1)  # padding: its own segment each
    branch = torch.zeros((n, width), dtype=torch.long)
    targets: list[tuple[int, int, int, int]] = []
    for r, row in enumerate(rows):
        offset = 0
        for s_index in row:
            s = segments[s_index]
            ctx_len = len(s.context)
            ids[r, offset : offset + ctx_len] = torch.tensor(s.context)
            pos[r, offset : offset + ctx_len] = torch.arange(ctx_len)
            seg[r, offset : offset + s.length] = s_index
            last_ctx = offset + ctx_len - 1
            cursor = offset + ctx_len
            for b, (cont, key) in enumerate(zip(s.continuations, s.keys, strict=True), start=1):
                body = len(cont) - 1
                if body:
                    ids[r, cursor : cursor + body] = torch.tensor(cont[:-1])
                    pos[r, cursor : cursor + body] = torch.arange(ctx_len, ctx_len + body)
                    branch[r, cursor : cursor + body] = b
                predictors = [last_ctx, *range(cursor, cursor + body)]
                targets.extend((r, p, tok, key) for p, tok in zip(predictors, cont, strict=True))
                cursor += body
            offset += s.length
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    same_seg = seg[:, :, None] == seg[:, None, :]
    visible_branch = (branch[:, None, :] == 0) | (branch[:, :, None] == branch[:, None, :])
    mask = (same_seg & visible_branch & causal).unsqueeze(1)
    return PackedBatch(ids, pos, mask, targets)


def group_batches(rows: list[list[int]], lengths: list[int], batch_tokens: int) -> list[list[int]]:
    """Group row indices into forward passes of at most ``batch_tokens`` (padded) tokens."""
    widths = [sum(lengths[i] for i in row) for row in rows]
    order = sorted(range(len(rows)), key=lambda r: -widths[r])
    batches: list[list[int]] = []
    current: list[int] = []
    for r in order:
        width = widths[current[0]] if current else widths[r]
        if current and width * (len(current) + 1) > batch_tokens:
            batches.append(current)
            current = []
        current.append(r)
    if current:
        batches.append(current)
    return batches
