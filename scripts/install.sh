#!/usr/bin/env bash
# Create/refresh the virtual environment at .venv and install ea_plugin with the given extras.
#   scripts/install.sh demo   -> the judge + LlamaIndex (no torch): enough for `ea-judge demo`
#   scripts/install.sh dev    -> everything: torch, transformers, peft, LLaMA-Factory, LangChain, test tools
# A stamp of pyproject.toml's hash makes a rerun with nothing changed return at once.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-dev}"
python="${PYTHON:-python3}"

[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.ea-install-$profile"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

pip=(.venv/bin/python -m pip install --disable-pip-version-check -q)
case "$profile" in
  demo)
    "${pip[@]}" -e ".[llamaindex]"
    ;;
  dev)
    # torch 2.14.1 + torchvision 0.29.1 first: the pair that imports cleanly here (the 2.13.0+cpu file on this
    # machine's disk breaks the torchvision import that transformers triggers). LLaMA-Factory 0.9.5 then pins
    # transformers 5.6.0, peft 0.18.1 and trl 0.24.0.
    # The package's metadata leaves torch open (torch>=2.4); this machine's cap is a constraint of this install.
    printf 'torch==2.14.1\ntorchvision==0.29.1\n' > .venv/.ea-torch-cap.txt
    "${pip[@]}" -c .venv/.ea-torch-cap.txt torch torchvision
    "${pip[@]}" -c .venv/.ea-torch-cap.txt -e ".[dev]"
    ;;
  *)
    echo "usage: scripts/install.sh [demo|dev]" >&2
    exit 2
    ;;
esac
echo "$want" > "$stamp"
