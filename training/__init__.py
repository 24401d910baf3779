"""Composer training: recipes, base-model preparation, data streams, callbacks, plan, launch.

Nothing here imports ``flows`` or starts Spark: the training process stays lean, and the
flows record runs and artifacts before and after it.
"""
