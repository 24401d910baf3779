"""Tokenisation in one place (the tokenizer itself is resolved by the plumbing's
``data_pipeline.lakehouse.tokenizer``, shared with training): packing documents into
fixed-length sequences (``packing``), the MDS shard writer and shard sets (``mds_writer``,
``mds_sets``), the held-out split (``heldout``), SFT examples (``sft``, ``sft_packing``,
``sft_samples``) and the two stages that use them: ``tokenize`` (``stage``, ``config``,
``outputs``) and ``sft_tokenize`` (``sft_stage``). This file imports nothing.
"""
