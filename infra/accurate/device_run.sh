#!/usr/bin/env bash
# The accurate tier's one GPU call (docs/accurate-tier.md): two fine-tuning configurations on prep.py's files,
# the one with the better DEV score kept. Run from the repository root with the prepared folder carried:
#   OUT=/some/dir bash infra/accurate/device_run.sh .accurate-carry
# $OUT receives log.txt, results.json (both runs, dev and test) and the selected run's weights-<i>.pt.
set -uo pipefail
export PYTHONUNBUFFERED=1
C=${1:-.accurate-carry}
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  ${PY:-python3} infra/accurate/train.py --carry "$C" --out /tmp/acc/A --epochs 4 --bs 64 --lr 5e-5 --seed 1
  timeout "${B_LIMIT:-240}" ${PY:-python3} infra/accurate/train.py --carry "$C" --out /tmp/acc/B --epochs 6 --bs 64 --lr 6e-5 --seed 2
  ${PY:-python3} infra/accurate/select_run.py /tmp/acc/A /tmp/acc/B --to "$OUT"
  ls -la "$OUT"
} 2>&1 | tee "$OUT/log.txt"
