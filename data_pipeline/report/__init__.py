"""Reports on stage runs: the per-stage markdown of the filter stage and the data funnel."""
