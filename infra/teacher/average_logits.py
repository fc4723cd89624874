#!/usr/bin/env python3
"""Averages the logits of several teachers into one `train --teacher` / `--transfer` file (a teacher ensemble).

  /usr/bin/python3 infra/teacher/average_logits.py /tmp/teacher/t2.train.logits.jsonl /tmp/teacher/t3.train.logits.jsonl --out /tmp/teacher/t23.train.logits.jsonl

Every input must hold the same texts in the same order (files written by minilm_teacher.py from the same splits, and
for transfer sets with the same --augment, --augment-tasks and --seed, which make the same variants); anything else is
refused, since a mismatch would pair one text with another text's targets. Logits are averaged per task (the softmax
of the mean is the normalised geometric mean of the teachers' distributions). Standard library only.
"""
import argparse, json, os, sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('files', nargs='+', help='teacher logit files (JSONL {text, sentiment?: [3], topic?: [20]})')
    ap.add_argument('--out', required=True, help='output file (outside the repository: it holds the sources\' text)')
    a = ap.parse_args()
    if len(a.files) < 2: ap.error('give at least two files to average')
    repo = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..'))
    if os.path.commonpath([repo, os.path.realpath(a.out)]) == repo:
        ap.error(f'--out {a.out} is inside the repository; it holds third-party text that must not be committed')
    tables = [open(f).read().splitlines() for f in a.files]
    for f, t in zip(a.files, tables):
        if len(t) != len(tables[0]): sys.exit(f'{f}: {len(t)} lines, but {a.files[0]} has {len(tables[0])}')
    n = 0
    with open(a.out, 'w') as out:
        for lines in zip(*tables):
            n += 1
            rows = [json.loads(l) for l in lines]
            text = rows[0]['text']
            for f, r in zip(a.files, rows):
                if r.get('text') != text: sys.exit(f'{f}:{n}: text differs from {a.files[0]}:{n}; the files must list the same texts in the same order')
            merged = {'text': text}
            for task, k in (('sentiment', 3), ('topic', 20)):
                have = [r.get(task) for r in rows]
                if all(v is None for v in have): continue
                for f, v in zip(a.files, have):
                    if not (isinstance(v, list) and len(v) == k and all(isinstance(x, (int, float)) for x in v)):
                        sys.exit(f'{f}:{n}: {task} must be {k} numbers in every file when one file has it')
                merged[task] = [round(sum(col) / len(col), 4) for col in zip(*have)]
            out.write(json.dumps(merged) + '\n')
    print(f'averaged {len(a.files)} teachers over {n} texts into {a.out}', flush=True)


if __name__ == '__main__':
    main()
