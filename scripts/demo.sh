#!/usr/bin/env bash
# The main job on the embedded default: a LlamaIndex retriever over the sample manual, every retrieved chunk
# judged by the rules backend (no model), kept or dropped with the reason. Extra arguments go to `ea-judge demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh demo
export HF_HUB_OFFLINE=1
exec .venv/bin/ea-judge demo "$@"
