"""The shared plumbing: the one part of ``data_pipeline`` that ``training`` and ``evaluation``
import.

- ``tables``: the lakehouse (table locations, atomic and idempotent writes, commit metadata),
  ``TableVersion`` / ``ArtifactRef`` refs;
- ``lineage`` (the ``runs`` table and lineage queries), ``recording`` (``recorded_run``, the one
  way a run records itself), ``artifacts`` (the ``artifacts`` table), ``locks``, ``delta_log``;
- ``storage`` (local paths and object-store URIs alike), ``spark`` (the session factory),
  ``schemas``, ``names``, ``config`` (typed YAML config and the project model).

This file imports nothing, so ``storage`` or ``config`` load without Spark.
"""
