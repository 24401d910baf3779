"""Benchmark decontamination: word n-gram index of evaluation items, matched on Spark."""
