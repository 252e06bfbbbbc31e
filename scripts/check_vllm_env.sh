#!/usr/bin/env bash
# Does `ea-plugin[local,openai]` resolve together with vLLM 0.33+ into one environment? A dry run of pip's
# resolver against PyPI alone (--isolated: no local indexes, constraints or caps of this machine); no GPU and
# nothing installed. Prints the versions it settles on, or pip's conflict. Takes minutes (pip fetches metadata,
# and wheels where the index has no separate metadata).
#   scripts/check_vllm_env.sh                 # "vllm>=0.33"
#   scripts/check_vllm_env.sh "vllm==0.34.*"
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
vllm="${1:-vllm>=0.33}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
"$python" -m pip install --isolated --dry-run --ignore-installed --quiet --disable-pip-version-check \
  --report "$report" ".[local,openai]" "$vllm"
"$python" - "$report" <<'PY'
import json, sys
installed = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in json.load(open(sys.argv[1]))["install"]}
print("resolves:", ", ".join(f"{name} {installed[name]}" for name in
                             ("ea-plugin", "vllm", "torch", "transformers", "peft", "openai") if name in installed))
PY
