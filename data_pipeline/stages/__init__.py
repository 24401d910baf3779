"""Built-in stages; importing this package registers them (the registry itself imports none)."""

from data_pipeline.stages import (
    decontaminate,  # noqa: F401
    dedup,  # noqa: F401
    dedup_paragraphs,  # noqa: F401
    filter,  # noqa: F401
    ingest,  # noqa: F401
)
from data_pipeline.stages.registry import (
    STAGES,
    StageContext,
    StageOutput,
    StageSpec,
    check_stages,
    get_stage,
    stage_config,
)
from data_pipeline.tokenize import sft_stage, stage  # noqa: F401 - the two tokenize stages

__all__ = [
    "STAGES",
    "StageContext",
    "StageOutput",
    "StageSpec",
    "check_stages",
    "get_stage",
    "stage_config",
]
