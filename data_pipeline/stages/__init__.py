"""Built-in stages; importing this package registers them."""

from data_pipeline.stages import ingest  # noqa: F401
from data_pipeline.stages import filter  # noqa: F401
from data_pipeline.stages import dedup  # noqa: F401
from data_pipeline.stages import tokenize  # noqa: F401
from data_pipeline.stages import sft_tokenize  # noqa: F401
from data_pipeline.stages.registry import STAGES, StageContext, StageOutput, StageSpec, get_stage

__all__ = ["STAGES", "StageContext", "StageOutput", "StageSpec", "get_stage"]
