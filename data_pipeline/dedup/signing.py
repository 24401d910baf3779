"""Per-document hashing on Spark: exact hash, MinHash signature and band keys per Arrow batch.

Rows of the ``minhash_signatures`` table: ``doc_id``, ``source``, ``text_fp`` (Spark
``xxhash64`` of the raw text, to notice a changed text under the same id), ``text_hash``
(BLAKE2b-128 of the normalised text, hex), ``n_shingles``, ``signature`` (``num_perm`` uint32
little endian), ``bands`` (one 64-bit key per band), ``signature_key`` and ``run_id``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from data_pipeline.dedup.config import DedupConfig
from data_pipeline.dedup.minhash import band_keys, signatures
from data_pipeline.dedup.normalize import text_hashes
from data_pipeline.dedup.shingles import batch_shingle_hashes

SIGNATURES = "minhash_signatures"

HASHED = StructType(
    [
        StructField("doc_id", StringType(), False),
        StructField("source", StringType(), False),
        StructField("text_fp", LongType(), False),
        StructField("text_hash", StringType(), False),
        StructField("n_shingles", IntegerType(), False),
        StructField("signature", BinaryType(), False),
        StructField("bands", ArrayType(LongType(), False), False),
    ]
)

SIGNATURE_TABLE = StructType(
    [
        *HASHED.fields,
        StructField("signature_key", StringType(), False),
        StructField("run_id", StringType(), False),
    ]
)


def hash_batch(texts: pa.Array, config: DedupConfig) -> dict[str, pa.Array]:
    """Exact hash, shingle count, signature and band keys of a batch of texts."""
    band = config.banding()
    tokens, hashes, offsets = batch_shingle_hashes(texts, config.shingles, config.normalize)
    sig = signatures(hashes, offsets, config.num_perm, config.seed)
    keys = band_keys(sig, band.bands, band.rows)
    sig_bytes = sig.astype("<u4").view(np.uint8).reshape(len(sig), -1)
    width = sig_bytes.shape[1]
    binary = pa.Array.from_buffers(
        pa.binary(),
        len(sig),
        [
            None,
            pa.py_buffer(np.arange(0, width * (len(sig) + 1), width, dtype=np.int32)),
            pa.py_buffer(sig_bytes.tobytes()),
        ],
    )
    band_offsets = pa.array(np.arange(0, band.bands * (len(sig) + 1), band.bands, dtype=np.int32))
    return {
        "text_hash": pa.array(text_hashes(tokens.texts), pa.string()),
        "n_shingles": pa.array(np.diff(offsets).astype(np.int32), pa.int32()),
        "signature": binary,
        "bands": pa.ListArray.from_arrays(band_offsets, pa.array(keys.reshape(-1), pa.int64())),
    }


def _sign_partition(config: DedupConfig):
    def run(batches):
        for batch in batches:
            hashed = hash_batch(batch.column("text").cast(pa.large_string()), config)
            yield pa.RecordBatch.from_arrays(
                [
                    batch.column("doc_id"),
                    batch.column("source"),
                    batch.column("text_fp"),
                    hashed["text_hash"],
                    hashed["n_shingles"],
                    hashed["signature"],
                    hashed["bands"],
                ],
                schema=pa.schema(
                    [
                        pa.field("doc_id", pa.string(), False),
                        pa.field("source", pa.string(), False),
                        pa.field("text_fp", pa.int64(), False),
                        pa.field("text_hash", pa.string(), False),
                        pa.field("n_shingles", pa.int32(), False),
                        pa.field("signature", pa.binary(), False),
                        pa.field("bands", pa.list_(pa.field("item", pa.int64(), False)), False),
                    ]
                ),
            )

    return run


def sign(docs: DataFrame, config: DedupConfig) -> DataFrame:
    """Hash ``docs`` (``doc_id, source, text, text_fp``) into rows of the ``HASHED`` schema."""
    return docs.select("doc_id", "source", "text", "text_fp").mapInArrow(
        _sign_partition(config), HASHED
    )


def decode_signature(value: bytes) -> np.ndarray:
    """A stored signature as a uint32 array."""
    return np.frombuffer(value, dtype="<u4")


def text_fingerprint(column: str = "text"):
    """Spark expression for ``text_fp``."""
    return F.xxhash64(F.col(column))
