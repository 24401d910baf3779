"""Spark stages of ladder: DataFrames in and out, with lakehouse writes and lineage."""
