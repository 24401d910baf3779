"""Evaluation shards from the tokenize stage's held-out documents (``table:heldout_docs``).

The tokenize stage keeps a deterministic share of each source's documents out of the training
shards, in the ``heldout_docs`` table. For the eval loss during training the flow tokenises one
pinned version of that table with the model's tokenizer (each document followed by the
training shards' separator, from their manifest), packs it per source into ``seq_len``
sequences (a source's last, shorter sequence is kept and padded at batch time, so no held-out
token is dropped) and writes one MDS
stream per source under ``<artifacts>/mds-eval/<table>-v<version>-<key>/``. The folder is
reused while the table version, tokenizer, ``seq_len`` and document cap are the same.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from data_pipeline.lakehouse.config import stable_hash
from data_pipeline.lakehouse.tokenizer import join_documents

MAX_DOCS = 5000


def pack(token_lists: list[list[int]], eos_id: int, seq_len: int) -> list[np.ndarray]:
    """Documents joined as the tokenize stage joins them (``join_documents``: each + EOS), cut
    into ``seq_len`` pieces, keeping the tail."""
    flat, _ = join_documents(token_lists, eos_id, None, np.int64)
    return [flat[i : i + seq_len] for i in range(0, len(flat), seq_len)]


def heldout_eval_shards(
    lakehouse,
    table: str,
    version: int | None,
    tokenizer_dir: str | Path,
    seq_len: int,
    out_root: str | Path,
    max_docs: int = MAX_DOCS,
    eos_id: int | None = None,
) -> tuple[Path, int]:
    """(MDS folder, table version) for the held-out documents of ``table@version``.

    ``eos_id``: the document separator of the training shards (their manifest's), default the
    tokenizer's EOS."""
    from streaming import MDSWriter

    from data_pipeline.lakehouse.tokenizer import load_fast_tokenizer, token_dtype, tokenizer_info

    version = version if version is not None else lakehouse.latest_version(table)
    if version is None:
        raise FileNotFoundError(f"table {table!r} does not exist: run the tokenize stage first")
    info = tokenizer_info(tokenizer_dir)
    eos_id = eos_id if eos_id is not None else info.eos_id
    if eos_id is None:
        raise ValueError(f"tokenizer {tokenizer_dir} has no EOS token to separate documents")
    key = stable_hash([table, version, info.sha256, seq_len, max_docs, eos_id])[:10]
    target = Path(out_root) / f"{table}-v{version}-{key}"
    if (target / "manifest.json").is_file():
        return target, version
    rows = (
        lakehouse.read(table, version)
        .select("source", "doc_id", "text")
        .orderBy("source", "doc_id")
        .limit(max_docs)
        .collect()
    )
    by_source: dict[str, list[str]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row["text"] or "")
    tokenizer = load_fast_tokenizer(tokenizer_dir)
    dtype = token_dtype("auto", info.vocab_size)
    staging = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    manifest: dict = {"table": table, "version": version, "seq_len": seq_len, "streams": {}}
    for source, texts in sorted(by_source.items()):
        encoded = [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
        sequences = pack(encoded, eos_id, seq_len)
        with MDSWriter(out=str(staging / source), columns={"tokens": f"ndarray:{dtype}"}) as w:
            for seq in sequences:
                w.write({"tokens": seq.astype(dtype)})
        manifest["streams"][source] = {
            "docs": len(texts),
            "tokens": int(sum(len(s) for s in sequences)),
            "sequences": len(sequences),
        }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, target)
    return target, version
