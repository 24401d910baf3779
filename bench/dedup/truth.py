"""Ground truth for dedup accuracy: exact Jaccard of every pair of documents, by brute force.

Documents become rows of a sparse 0/1 matrix over their shingle hashes (ladder's own word
5-gram shingles, so truth and system agree on what a shingle is). The product X·Xᵀ gives the
intersection size of every pair at once; it is computed in row blocks so memory stays
bounded. No pair is skipped: this is all-pairs, not an approximation.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy import sparse

from data_pipeline.dedup.normalize import NormalizeConfig
from data_pipeline.dedup.shingles import ShingleConfig, batch_shingle_hashes


def shingle_matrix(texts: list[str]) -> sparse.csr_matrix:
    """Binary documents x shingle-hash matrix (duplicate shingles in a document count once)."""
    _, hashes, offsets = batch_shingle_hashes(
        pa.array(texts, pa.large_string()), ShingleConfig(), NormalizeConfig()
    )
    rows = np.repeat(np.arange(len(texts)), np.diff(offsets))
    _, cols = np.unique(hashes, return_inverse=True)
    matrix = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.float32), (rows, cols)),
        shape=(len(texts), int(cols.max()) + 1 if len(cols) else 0),
    )
    matrix.data[:] = 1.0  # csr sums duplicates; a set counts each shingle once
    return matrix


def exact_pairs(texts: list[str], threshold: float, block: int = 2000):
    """(i, j, jaccard) arrays of every pair i < j with Jaccard >= ``threshold``."""
    x = shingle_matrix(texts)
    sizes = np.asarray(x.sum(axis=1)).ravel()
    xt = x.T.tocsr()
    out_i, out_j, out_s = [], [], []
    for start in range(0, x.shape[0], block):
        inter = (x[start : start + block] @ xt).tocoo()
        i = inter.row + start
        keep = inter.col > i
        i, j, common = i[keep], inter.col[keep], inter.data[keep]
        sim = common / (sizes[i] + sizes[j] - common)
        hit = sim >= threshold - 1e-12
        out_i.append(i[hit])
        out_j.append(j[hit])
        out_s.append(sim[hit])
    empty = np.flatnonzero(sizes == 0)  # texts without shingles: equal (all empty) sets
    if len(empty) > 1:
        pairs = [(a, b) for n, a in enumerate(empty) for b in empty[n + 1 :]]
        out_i.append(np.array([p[0] for p in pairs]))
        out_j.append(np.array([p[1] for p in pairs]))
        out_s.append(np.ones(len(pairs)))
    if not out_i:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_s)


def components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Component label (smallest member index) of each of n documents under edges (i, j)."""
    graph = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, labels = sparse.csgraph.connected_components(graph, directed=False)
    first = np.full(labels.max() + 1 if n else 0, n)
    np.minimum.at(first, labels, np.arange(n))
    return first[labels]
