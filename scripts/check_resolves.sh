#!/usr/bin/env bash
# Do these requirements resolve into one environment? A dry run of pip's resolver against PyPI alone (--isolated:
# no local indexes, constraints or caps of this machine): nothing installed, no GPU, and no wheel downloaded whole:
# pip 25.3+ with fast-deps (a feature a later pip may drop, hence < 27) reads each wheel's metadata through HTTP
# range requests, where an index without PEP 658 metadata files would otherwise cost GBs of torch and CUDA wheels.
# Any other pip gets one in a throwaway environment (PYTHON picks the interpreter). Prints "resolves: NAME VERSION,
# ..." for the packages named in SHOW (default: all it would install), or pip's conflict and a non-zero exit.
#   scripts/check_resolves.sh "langchain-core==1.0.*" "langchain-classic==1.0.*"
#   SHOW="vllm transformers" scripts/check_resolves.sh ".[local,openai]" "vllm>=0.33"
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pip_ok='import sys, pip; sys.exit(not (25, 3) <= tuple(map(int, pip.__version__.split(".")[:2])) < (27, 0))'
if ! "$python" -c "$pip_ok" 2>/dev/null; then
  "$python" -m venv "$work/pip"
  "$work/pip/bin/python" -m pip install --isolated --disable-pip-version-check --quiet "pip>=25.3,<27"
  python="$work/pip/bin/python"
fi
"$python" -m pip install --isolated --dry-run --ignore-installed --quiet --disable-pip-version-check \
  --use-feature=fast-deps --report "$work/report.json" "$@" 2> >(grep -v fast-deps >&2)
SHOW="${SHOW:-}" "$python" - "$work/report.json" <<'PY'
import json, os, sys
installed = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in json.load(open(sys.argv[1]))["install"]}
show = os.environ["SHOW"].split() or sorted(installed)
print("resolves:", ", ".join(f"{name} {installed[name]}" for name in show if name in installed))
PY
