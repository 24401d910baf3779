"""Charts written as PNG files (the object-store case runs in tests/cluster, where
``category_chart`` writes into the bucket)."""

from __future__ import annotations

from data_pipeline.lakehouse.figures import pyplot, save_png


def test_a_figure_lands_as_a_png_in_a_new_folder_and_is_closed(tmp_path):
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    out = save_png(fig, str(tmp_path / "new" / "folder" / "chart.png"))
    assert out == str(tmp_path / "new" / "folder" / "chart.png")
    with open(out, "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    assert fig.number not in plt.get_fignums()
