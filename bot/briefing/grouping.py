"""Group a window's articles into stories, deterministically.

1. Near-duplicates (syndicated copies of one wire story, retitled or not) collapse first:
   TF-IDF cosine of title+lead above `briefing_duplicate_similarity`, joined transitively.
2. Copy groups then join into events by average-link agglomerative clustering on cosine,
   cut at `briefing_story_similarity`. Average link (unlike single link) does not chain
   "Israel" into one giant story. It runs as a nearest-neighbour chain on a dense float32
   matrix of copy groups: O(n²) memory, ~30 MB for the few thousand articles of a day.
Articles further apart in time than `briefing_story_hours` never count as similar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from bot.store.records import WindowArticle


@dataclass
class CopyGroup:
    """An original article and its syndicated copies (`members[0]` is the earliest)."""

    members: list[int]

    @property
    def representative(self) -> int:
        return self.members[0]


@dataclass
class StoryGroup:
    groups: list[CopyGroup] = field(default_factory=list)

    @property
    def members(self) -> list[int]:
        return sorted(m for g in self.groups for m in g.members)

    @property
    def duplicates(self) -> int:
        return sum(len(g.members) - 1 for g in self.groups)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def copy_groups(pairs: sparse.coo_matrix, n: int, threshold: float) -> list[CopyGroup]:
    """Union-find over pairs at or above `threshold`; members and groups in index order."""
    parent = list(range(n))
    keep = (pairs.data >= threshold) & (pairs.row < pairs.col)
    for i, j in zip(pairs.row[keep].tolist(), pairs.col[keep].tolist(), strict=True):
        ri, rj = _find(parent, i), _find(parent, j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(_find(parent, i), []).append(i)
    return [CopyGroup(members) for _, members in sorted(groups.items())]


def average_link(sim: np.ndarray, threshold: float, weights: np.ndarray) -> list[list[int]]:
    """Clusters whose average pairwise similarity is >= threshold (NN-chain algorithm).

    `weights` are the initial cluster sizes. A cluster whose best link is below the
    threshold is final: average link is reducible, so merges elsewhere cannot raise it. For
    the same reason an item with no link at the threshold stays alone, and the chain runs
    only over the others (on a busy day most articles are single-outlet stories).
    """
    s = sim.astype(np.float32, copy=True)
    np.fill_diagonal(s, -np.inf)
    has_link = s.max(axis=1, initial=-np.inf) >= threshold
    linked = np.flatnonzero(has_link)
    clusters = [[i] for i in np.flatnonzero(~has_link).tolist()]
    s = s[np.ix_(linked, linked)]
    clusters += [linked[c].tolist() for c in _nn_chain(s, threshold, weights[linked])]
    clusters.sort()
    return clusters


def _nn_chain(s: np.ndarray, threshold: float, weights: np.ndarray) -> list[list[int]]:
    """`average_link` on `s` (diagonal already -inf), modified in place."""
    n = len(s)
    size = weights.astype(np.float32, copy=True)
    members: list[list[int]] = [[i] for i in range(n)]
    open_ = np.ones(n, dtype=bool)
    alive = np.ones(n, dtype=bool)
    chain: list[int] = []
    start = 0
    while True:
        if not chain:
            while start < n and not open_[start]:
                start += 1
            if start >= n:
                break
            chain.append(start)
        a = chain[-1]
        b = int(np.argmax(s[a]))
        best = s[a, b]
        if best < threshold:
            open_[a] = False
            s[a, :] = -np.inf
            s[:, a] = -np.inf
            chain.pop()
            continue
        if len(chain) >= 2 and s[a, chain[-2]] >= best:
            b = chain[-2]
        if len(chain) >= 2 and b == chain[-2]:
            chain.pop()
            chain.pop()
            keep, drop = min(a, b), max(a, b)
            merged = (size[keep] * s[keep] + size[drop] * s[drop]) / (size[keep] + size[drop])
            s[keep, :] = merged
            s[:, keep] = merged
            s[keep, keep] = -np.inf
            s[drop, :] = -np.inf
            s[:, drop] = -np.inf
            size[keep] += size[drop]
            members[keep].extend(members[drop])
            members[drop] = []
            open_[drop] = False
            alive[drop] = False
        else:
            chain.append(b)
    return [sorted(members[i]) for i in range(n) if alive[i]]


def _within(pairs: sparse.coo_matrix, stamps: np.ndarray, hours: float) -> sparse.coo_matrix:
    """Drop the similarities of pairs further apart in time than `hours`."""
    if len(stamps) == 0 or float(stamps.max() - stamps.min()) <= hours * 3600.0:
        return pairs  # a window shorter than `hours`: every pair is close enough
    close = np.abs(stamps[pairs.row] - stamps[pairs.col]) <= hours * 3600.0
    return sparse.coo_matrix(
        (pairs.data[close], (pairs.row[close], pairs.col[close])), shape=pairs.shape
    )


def group_stories(
    articles: list[WindowArticle],
    vectors: sparse.csr_matrix,
    *,
    duplicate_similarity: float,
    story_similarity: float,
    story_hours: float,
) -> list[StoryGroup]:
    """Stories in a stable order (by their earliest article index)."""
    n = len(articles)
    if not n:
        return []
    stamps = np.array([a.when.timestamp() for a in articles], dtype=np.float64)
    pairs = _within((vectors @ vectors.T).tocoo(), stamps, story_hours)
    copies = copy_groups(pairs, n, duplicate_similarity)
    del pairs
    indicator = sparse.csr_matrix(
        (
            np.concatenate([np.full(len(g.members), 1.0 / len(g.members)) for g in copies]),
            (
                np.concatenate([np.full(len(g.members), k) for k, g in enumerate(copies)]),
                np.concatenate([g.members for g in copies]),
            ),
        ),
        shape=(len(copies), n),
        dtype=np.float32,
    )
    means = indicator @ vectors
    rep_stamps = stamps[[g.representative for g in copies]]
    group_pairs = _within((means @ means.T).tocoo(), rep_stamps, story_hours)
    group_sim = group_pairs.toarray().astype(np.float32)
    del group_pairs
    clusters = average_link(group_sim, story_similarity, np.ones(len(copies)))
    stories = [StoryGroup([copies[i] for i in cluster]) for cluster in clusters]
    stories.sort(key=lambda st: st.members[0])
    return stories
