"""The tokenize benchmarks' corpus: a Delta ``documents`` table of real text, of a given size.

Texts are Wikipedia summaries (en/fr/es) and parliament speeches from the installed sample
data (no downloads), interleaved so that any size holds every source and cycled until the
table holds at least ``chars`` characters. Document ids are stable for a given size.
Used by ``bench/tokenize_mds.py`` and ``bench/cluster.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path


def build_table(spark, lake_root: Path, chars: int, table: str) -> tuple[int, int]:
    from data_pipeline.lakehouse import schemas
    from data_pipeline.lakehouse.tables import CommitInfo, Lakehouse, TableWrite
    from data_pipeline.samples import PARL, csv_in_zip, wiki_records
    from data_pipeline.samples import WIKI_LANGS as WIKI

    by_source = {f"wiki_{lang}": [r["text"] for r in wiki_records(lang)] for lang in WIKI}
    for lang, relative in PARL.items():
        by_source[f"parl_{lang}"] = [r["text"] for r in csv_in_zip(relative)]
    # interleave the sources so that any size holds all of them
    pool = [
        (source, texts[i])
        for i in range(max(map(len, by_source.values())))
        for source, texts in by_source.items()
        if i < len(texts) and texts[i].strip()
    ]
    rows, total, i = [], 0, 0
    now = dt.datetime(2024, 1, 1)
    while total < chars:
        source, text = pool[i % len(pool)]
        doc_id = hashlib.sha256(f"{i}\0{text}".encode()).hexdigest()[:32]
        rows.append((doc_id, text, source, "mixed", f"bench:{i}", {}, now, "bench"))
        total += len(text)
        i += 1
    lake = Lakehouse(str(lake_root), spark)
    df = spark.createDataFrame(rows, schemas.DOCUMENTS)
    lake.write(TableWrite(table, df), CommitInfo(f"bench-{table}", "bench", "h", "c"))
    return len(rows), total
