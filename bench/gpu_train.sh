#!/bin/bash
# GPU benchmark of ladder's trainer in one go (a few minutes on one H100/H200): ~1.2B
# Llama-style model, sequences of 2048, bf16, FSDP on one GPU; prints tokens/s and MFU and
# writes bench/out/gpu_train.json (or $OUT/gpu_train.json). Extra arguments go to
# bench/gpu_train.py (e.g. --micro 16 --mixed-precision PURE).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PYTHON" -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible'"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
"$PYTHON" bench/gpu_train.py "$@"
