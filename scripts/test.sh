#!/usr/bin/env bash
# The whole test suite: installs everything into .venv (and vLLM's CPU build into .venv-vllm), then pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not slow" -x).
# Then the inference tests again in .venv-latest, on the newest transformers and peft that ea-plugin[local]
# allows (.venv holds LLaMA-Factory's pins); EA_SKIP_LATEST=1 skips that step.
set -euo pipefail
cd "$(dirname "$0")/.."
# The three environments install side by side (mostly downloads and unpacking): vLLM's apart from the other
# two, which both install this checkout in editable mode and so run one after the other.
scripts/setup_vllm_venv.sh &
vllm_setup=$!
scripts/install.sh dev
[ -n "${EA_SKIP_LATEST:-}" ] || scripts/setup_latest_venv.sh
wait "$vllm_setup"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
.venv/bin/ruff check .
.venv/bin/python -m mypy  # ea_plugin, as [tool.mypy] in pyproject.toml says
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ -z "${EA_SKIP_LATEST:-}" ]; then
  .venv-latest/bin/python -m pytest tests/test_transformers_backend.py tests/test_coalesce.py -m "not slow" -q \
    -p no:cacheprovider --timeout=1200 || status=$?
fi
exit "$status"
