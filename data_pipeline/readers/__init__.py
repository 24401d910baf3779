"""One reader per input format. Each turns a split of a file into raw rows (see ``base``)."""

from data_pipeline.readers.base import RAW_SCHEMA, Split, SplitReader, get_reader, plan_splits

__all__ = ["RAW_SCHEMA", "Split", "SplitReader", "get_reader", "plan_splits"]
