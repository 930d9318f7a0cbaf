"""Because-you-watched: item-item similarity over viewing history. Pure.

Similarity of titles a and b is the cosine of their viewer sets,
``|V(a) & V(b)| / sqrt(|V(a)| |V(b)|)``, plus a small genre-overlap (Jaccard) term so a
catalog with little history still yields sensible neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from fake_backend.catalog import CatalogTitle

__all__ = ["similar_titles"]


def similar_titles(
    seed: str,
    views_by_profile: Mapping[str, set[str]],
    titles: Mapping[str, CatalogTitle],
    exclude: set[str],
    limit: int = 10,
) -> list[tuple[str, float]]:
    viewers: dict[str, set[str]] = {}
    for profile, watched in views_by_profile.items():
        for watched_id in watched:
            viewers.setdefault(watched_id, set()).add(profile)
    seed_v = viewers.get(seed, set())
    seed_g = set(titles[seed].genres) if seed in titles else set()
    scores = []
    for tid, t in titles.items():
        if tid == seed or tid in exclude:
            continue
        v = viewers.get(tid, set())
        cf = len(seed_v & v) / math.sqrt(len(seed_v) * len(v)) if seed_v and v else 0.0
        g = set(t.genres)
        jac = len(seed_g & g) / len(seed_g | g) if seed_g | g else 0.0
        score = cf + 0.25 * jac
        if score > 0:
            scores.append((tid, round(score, 4)))
    scores.sort(key=lambda x: (-x[1], x[0]))
    return scores[:limit]
