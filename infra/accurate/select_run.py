#!/usr/bin/env python3
"""Picks one of several train.py runs by DEV metrics only (mean of tweet-sentiment macro-F1, topic macro-F1 and
news-sentence entity micro-F1), copies its weights to --to and writes --to/results.json with every run's figures.

  python3 infra/accurate/select_run.py /tmp/runA /tmp/runB --to $OUT
"""
import argparse, json, os, shutil

ap = argparse.ArgumentParser(); ap.add_argument('runs', nargs='+'); ap.add_argument('--to', required=True); a = ap.parse_args()
runs = {}
for d in a.runs:
    p = os.path.join(d, 'results.json')
    if os.path.exists(p): runs[os.path.basename(d)] = json.load(open(p))
score = lambda r: (r['dev']['sent:tweets']['macro_f1'] + r['dev']['topic:tweets']['macro_f1'] + r['dev']['ner:wikigold-news']['micro']['f1']) / 3
best = max(runs, key=lambda k: score(runs[k]))
for k, r in runs.items(): print(f'{k}: dev selection score {score(r):.4f}')
print('selected', best)
for f in sorted(os.listdir(os.path.join(os.path.dirname(a.runs[0]), best))):
    if f.startswith('weights-'): shutil.copy(os.path.join(os.path.dirname(a.runs[0]), best, f), a.to)
json.dump({'selected': best, 'selection': 'dev only: mean of sent:tweets macro-F1, topic:tweets macro-F1, ner:wikigold-news micro-F1',
           'scores': {k: round(score(r), 4) for k, r in runs.items()}, 'runs': runs}, open(os.path.join(a.to, 'results.json'), 'w'), indent=1)
