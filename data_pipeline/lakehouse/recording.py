"""``recorded_run``: the one way a stage, training run, evaluation or model training records
itself in the ``runs`` table.

    with recorded_run(lake, "evaluate:m", run_id, inputs, config_view) as record:
        ...                       # do the work
        record.outputs = [...]    # and say what it made
        record.counts = {...}

On entry the run's ``running`` row is written, in the background (waited for before the
outcome is recorded; ``announce=False``: only its success is recorded); a normal exit
records ``succeeded`` with the end time and duration; an exception records ``failed`` with
``<ExceptionType>: <message>`` (first 4000 characters) and is re-raised.
Timestamps are UTC; a naive ``started_at`` is taken as UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from data_pipeline.lakehouse.config import stable_hash
from data_pipeline.lakehouse.lineage import FAILED, RUNNING, SUCCEEDED, RunLog, RunRecord
from data_pipeline.lakehouse.tables import Lakehouse, Ref

log = logging.getLogger(__name__)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


@contextmanager
def recorded_run(
    lake: Lakehouse,
    stage: str,
    run_id: str,
    inputs: Sequence[Ref],
    config_view: dict[str, Any],
    *,
    config_hash: str | None = None,
    flow_run_id: str | None = None,
    cache_key: str = "",
    started_at: dt.datetime | None = None,
    announce: bool = True,
    attempt_only: bool = False,
) -> Iterator[RunRecord]:
    """Record the run of ``stage`` around the block (see the module docstring).

    ``config_hash`` defaults to ``stable_hash(config_view)``. ``started_at`` (default now) is
    kept from an earlier attempt by a restart; ``duration_s`` runs from it, or from entering the
    block with ``attempt_only``.
    """
    record = RunRecord(
        run_id=run_id,
        stage=stage,
        status=RUNNING,
        flow_run_id=flow_run_id,
        config_json=json.dumps(config_view, sort_keys=True, default=str),
        config_hash=config_hash if config_hash is not None else stable_hash(config_view),
        inputs=list(inputs),
        started_at=started_at or dt.datetime.now(dt.UTC),
        cache_key=cache_key,
    )
    runs = RunLog(lake)
    # The `running` row (a Delta append: about a second) is written while the work starts, and
    # waited for before the outcome is recorded, so that the outcome is the latest row.
    announced = _in_background(runs.record, dataclasses.replace(record)) if announce else None
    clock = time.perf_counter()

    def finish(status: str) -> None:
        if announced is not None:
            wait([announced])  # an error of its own is not the one to report
        record.status, record.ended_at = status, dt.datetime.now(dt.UTC)
        if attempt_only:
            record.duration_s = time.perf_counter() - clock
        else:
            record.duration_s = (record.ended_at - _utc(record.started_at)).total_seconds()

    try:
        yield record
    except BaseException as err:
        if announce:
            record.error = f"{type(err).__name__}: {err}"[:4000]
            finish(FAILED)
            try:
                runs.record(record)
            except Exception:  # recording the failure must not hide the original error
                log.exception("could not record the failure of %s/%s", run_id, stage)
        raise
    finish(SUCCEEDED)
    if announced is not None:
        announced.result()
    runs.record(record)


def _in_background(fn: Callable[..., Any], *args: Any) -> Future:
    pool = ThreadPoolExecutor(1, thread_name_prefix="runs")
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)
