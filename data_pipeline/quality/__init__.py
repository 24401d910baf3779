"""Quality classifier training (fastText) for the ``quality_classifier`` filter."""
