"""Charts as PNG files: matplotlib without a display, written to a local path or a URI.

``pyplot()`` is ``matplotlib.pyplot`` on the Agg backend (imported on first use: matplotlib is
slow to import and most runs draw nothing). ``save_png(fig, path)`` renders the figure, closes
it and writes the bytes in one write (one PUT on an object store), creating a local folder.
"""

from __future__ import annotations

import io
from typing import Any

from data_pipeline.lakehouse import storage


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the headless Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: Any, path: str, dpi: int = 110) -> str:
    """Write ``fig`` as a PNG to ``path`` (local or URI) and close it; the absolute path."""
    png = io.BytesIO()
    fig.savefig(png, dpi=dpi, format="png")
    pyplot().close(fig)
    out = storage.absolute(str(path))
    storage.makedirs(storage.parent(out))
    storage.write_bytes(out, png.getvalue())
    return out
