"""TF-IDF vectors of a window's articles, IDF computed over the window itself.

Only terms found in two or more documents get a column (a term seen once cannot make two
articles similar), but every term counts in a vector's norm, so rare words still dilute.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse


class TfIdf:
    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        self.n = len(docs)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(set(doc))
        self.df = df
        shared = sorted(t for t, c in df.items() if c >= 2)
        self.columns = {t: i for i, t in enumerate(shared)}
        self._idf = {t: math.log((1 + self.n) / (1 + c)) + 1.0 for t, c in df.items()}
        self._unseen = math.log(1 + self.n) + 1.0

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unseen)

    def weights(self, doc: Iterable[str]) -> tuple[dict[int, float], float]:
        """Column weights (1 + log tf) · idf and the L2 norm over all terms."""
        counts = Counter(doc)
        cols: dict[int, float] = {}
        norm2 = 0.0
        for term, tf in counts.items():
            w = (1.0 + math.log(tf)) * self.idf(term)
            norm2 += w * w
            col = self.columns.get(term)
            if col is not None:
                cols[col] = w
        return cols, math.sqrt(norm2)

    def vector(self, doc: Iterable[str]) -> np.ndarray:
        out = np.zeros(len(self.columns), dtype=np.float32)
        cols, norm = self.weights(doc)
        if norm > 0:
            for col, w in cols.items():
                out[col] = w / norm
        return out

    def matrix(self, docs: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        """Rows are L2-normalised document vectors (sparse: a few dozen terms each), the
        weights of `weights` computed for all documents at once."""
        shape = (len(docs), len(self.columns))
        ids: dict[str, int] = {}
        flat = [ids.setdefault(t, len(ids)) for doc in docs for t in doc]
        if not flat:
            return sparse.csr_matrix(shape, dtype=np.float32)
        vocab = len(ids)
        idf = np.fromiter(map(self.idf, ids), dtype=np.float64, count=vocab)
        column = np.fromiter((self.columns.get(t, -1) for t in ids), dtype=np.int64, count=vocab)
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        doc = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        pairs, tf = np.unique(doc * vocab + np.asarray(flat, dtype=np.int64), return_counts=True)
        row, term = np.divmod(pairs, vocab)
        w = (1.0 + np.log(tf)) * idf[term]
        norm = np.sqrt(np.bincount(row, weights=w * w, minlength=len(docs)))
        col = column[term]
        keep = (col >= 0) & (norm[row] > 0)
        row, col, w = row[keep], col[keep], w[keep]
        order = np.lexsort((col, row))
        row, col, w = row[order], col[order], w[order]
        indptr = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=len(docs)), out=indptr[1:])
        return sparse.csr_matrix(((w / norm[row]).astype(np.float32), col, indptr), shape=shape)
