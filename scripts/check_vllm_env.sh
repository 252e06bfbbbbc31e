#!/usr/bin/env bash
# Does `ea-plugin[local,openai]` resolve together with vLLM 0.33+ into one environment? scripts/check_resolves.sh:
# pip's resolver against PyPI alone, a dry run reading wheel metadata only (nothing installed or downloaded whole,
# no GPU), about a minute; tests/test_resolution.py runs it. Prints the versions it settles on, or pip's conflict.
#   scripts/check_vllm_env.sh                 # "vllm>=0.33"
#   scripts/check_vllm_env.sh "vllm==0.34.*"
set -euo pipefail
cd "$(dirname "$0")/.."
SHOW="ea-plugin vllm torch transformers peft openai" exec scripts/check_resolves.sh ".[local,openai]" "${1:-vllm>=0.33}"
