"""Where the MDS streams of a shard folder are (no torch, no streaming: cheap to import)."""

from __future__ import annotations

from pathlib import Path


def stream_dirs(root: str | Path, split: str | None = None) -> list[Path]:
    """The MDS streams under ``root``: itself, or each sub-folder holding an index. A shard-set
    folder of the tokenize stage (with ``LATEST``) means its newest version."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"shard folder {root} does not exist")
    if (root / "LATEST").is_file() and not (root / "index.json").is_file():
        root = root / (root / "LATEST").read_text().strip()  # a shard set: its newest version

    def has_index(folder: Path) -> bool:
        return (folder / (split or "") / "index.json").is_file()

    if has_index(root):
        return [root]
    found = sorted(p for p in root.iterdir() if p.is_dir() and has_index(p))
    if not found:
        where = f"{root}/<stream>/{split}" if split else f"{root} or {root}/<stream>"
        raise FileNotFoundError(f"no MDS index.json in {where}")
    return found
