"""Poster images: a PNG per title, rendered with matplotlib (Agg, no pyplot, thread-safe).

The colours are a pure function of the title id, so posters are deterministic and tell
titles apart at a glance; the title's name is written across the middle.
"""

from __future__ import annotations

import hashlib
import io
import textwrap

__all__ = ["POSTER_SIZE", "render_poster"]

POSTER_SIZE = (300, 450)
"""Width, height in pixels (2:3, the usual poster shape)."""


def render_poster(title_id: str, name: str, *, size: tuple[int, int] = POSTER_SIZE) -> bytes:
    """The PNG bytes of the poster for ``title_id`` showing ``name``."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    digest = hashlib.sha256(title_id.encode()).digest()
    top = np.array(list(digest[0:3]), dtype=float) / 255 * 0.7
    bottom = np.array(list(digest[3:6]), dtype=float) / 255 * 0.5 + 0.3
    width, height = size
    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ramp = np.linspace(0.0, 1.0, 64)[:, None, None]
    ax.imshow(top * (1 - ramp) + bottom * ramp, aspect="auto", extent=(0, 1, 0, 1))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    # ~11 bold 22 pt characters fit across 300 px: wrap by width, and shrink the type for a
    # single word longer than that rather than letting it run off the poster.
    lines = textwrap.wrap(name, width=11, break_long_words=False) or [name]
    longest = max(len(line) for line in lines)
    fontsize = 22 * min(1.0, 11 / max(longest, 1)) * width / POSTER_SIZE[0]
    ax.text(
        0.5,
        0.5,
        "\n".join(lines),
        ha="center",
        va="center",
        color="white",
        fontsize=fontsize,
        weight="bold",
    )
    ax.text(0.5, 0.06, title_id, ha="center", va="bottom", color="white", fontsize=9, alpha=0.8)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi)
    return out.getvalue()
