#!/usr/bin/env bash
# The whole test suite: installs everything into .venv (and vLLM's CPU build into .venv-vllm), then pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not slow" -x).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh dev
scripts/setup_vllm_venv.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
