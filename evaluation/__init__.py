"""Evaluation: gauntlet benchmarks by competency, domain perplexity, golden sets, latency.

No Prefect here: ``flows/evaluate.py`` wraps these functions.
"""
