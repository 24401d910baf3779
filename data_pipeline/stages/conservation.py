"""The post-commit check shared by document stages: what was committed adds up to the counts.

After the commits, this run's rows of the output table and its ``rejects`` rows (``stage`` =
this stage) are counted; they must equal ``counts["kept"]`` and ``counts["rejected"]``, else
``RuntimeError`` (``<stage> conservation check failed: ...``).
"""

from __future__ import annotations

from pyspark.sql import functions as F

from data_pipeline.lakehouse.tables import REJECTS, Lakehouse, TableVersion


def verify_committed(
    lake: Lakehouse,
    written: dict[str, TableVersion],
    counts: dict[str, int],
    output: str,
    stage: str,
) -> None:
    """Raise when the committed kept and rejected rows differ from the run's counts."""
    n_kept = lake.read(output, written[output].version).count()
    rejects = lake.read(REJECTS, written[REJECTS].version)
    n_rej = rejects.filter(F.col("stage") == stage).count()
    if (n_kept, n_rej) != (counts["kept"], counts["rejected"]):
        raise RuntimeError(
            f"{stage} conservation check failed: input {counts['input']}, wrote kept {n_kept} "
            f"and rejected {n_rej}, expected {counts['kept']} and {counts['rejected']}"
        )
