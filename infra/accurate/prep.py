#!/usr/bin/env python3
"""Prepares the accurate tier's training inputs on the CPU (docs/accurate-tier.md) so that the GPU run only trains:

  /usr/bin/python3 infra/accurate/prep.py --splits /tmp/splits_gold --data ../shared/data \
      --model-dir infra/pretrained/bge-small-en-v1.5 --out .accurate-carry

Writes <out>/data.pt.xz (every example tokenised, labels, gold spans and piece offsets for the span metric; no text)
and <out>/weights.pt (the encoder, its vocabulary cut to the word pieces the data uses, linear weights int8 per
output row: the device call carries at most 64 MiB with the repository). --out must be git-ignored (checked):
it is derived from the data sources, which are never committed.
"""
import argparse, collections, csv, io, json, lzma, os, random, re, subprocess, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SENT, TOPICS, TYPES, OffsetWordPiece, bio_labels, onnx_state


def jsonl(path):
    return [json.loads(l) for l in open(path) if l.strip()]


def sentfin_agree(path):
    """Headline -> True where all its entity labels agree (the raw Decisions column; parsed by regex, not JSON)."""
    out = {}
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            labs = set(re.findall(r"""['"]\s*:\s*['"](positive|negative|neutral)['"]""", row['Decisions']))
            out[' '.join(row['Title'].split())] = len(labs) == 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--splits', required=True, help='npm run splits -- --no-weak --splits train,dev,test output')
    ap.add_argument('--data', default='../shared/data')
    ap.add_argument('--model-dir', default='infra/pretrained/bge-small-en-v1.5')
    ap.add_argument('--out', required=True)
    ap.add_argument('--max-len', type=int, default=128)
    ap.add_argument('--smoke', type=int, default=0, help='keep at most N examples per source and set (CPU smoke test)')
    a = ap.parse_args()
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
    out = os.path.abspath(a.out)
    if out.startswith(root + os.sep) and subprocess.run(['git', 'check-ignore', '-q', os.path.join(out, 'probe')], cwd=root).returncode != 0:
        raise SystemExit(f'{a.out} is inside the repository and not ignored: add it to .git/info/exclude')
    os.makedirs(a.out, exist_ok=True)
    tok = OffsetWordPiece(json.load(open(os.path.join(a.model_dir, 'tokenizer.json')))['model']['vocab'])
    agree = sentfin_agree(os.path.join(a.data, 'sentfin-1.0', 'SEntFiN.csv'))
    rows = []  # dicts: set, group, ids, offs, sent, topic, tags, gold, agree

    def add(split, group, e, sent=None, topic=None, spans=None, keep_offs=False, extra=None):
        text = e['text']
        if not text.strip(): return
        ids, offs = tok.encode(text, a.max_len)
        r = {'set': split, 'group': group, 'ids': ids, 'sent': SENT.index(sent) if sent else -100,
             'topic': (topic if isinstance(topic, int) else TOPICS.index(topic)) if topic is not None else -100}
        if spans is not None:
            r['tags'] = bio_labels(offs, spans)
            r['gold'] = sorted({(s, t, ty) for s, t, ty in spans if ty in TYPES})
            r['offs'] = offs
        elif keep_offs:
            r['offs'] = offs
        if extra: r.update(extra)
        rows.append(r)

    stats = collections.Counter()
    for split in ('train', 'dev', 'test'):
        pick = lambda xs: xs[: a.smoke] if a.smoke else xs
        for e in pick(jsonl(f'{a.splits}/{split}.twitter-financial-news-sentiment.jsonl')):
            add(split, 'sent:tweets', e, sent=e['sentiment'])
        for e in pick(jsonl(f'{a.splits}/{split}.twitter-financial-news-topic.jsonl')):
            add(split, 'topic:tweets', e, topic=e['topic'])
        for e in pick(jsonl(f'{a.splits}/{split}.sentfin-1.0.jsonl')):
            k = ' '.join(e['text'].split()); stats['sentfin_matched'] += k in agree; stats['sentfin_rows'] += 1
            add(split, 'sent:headlines', e, sent=e.get('sentiment'), extra={'agree': agree.get(k, False)})
        for e in pick(jsonl(f'{a.splits}/{split}.finentity.jsonl')):
            # FinEntity annotates only the companies a text takes a view on: ORG recall is measured, not trained.
            ents = [(x['start'], x['end'], x['type']) for x in e.get('entities', []) if x['type'] == 'ORG']
            add(split, 'sent:news', e, sent=e.get('sentiment'), keep_offs=split != 'train',
                extra={'gold': sorted(set(ents))} if split != 'train' else None)
        for e in pick(jsonl(f'{a.splits}/{split}.sec-filings-ner.jsonl')):
            add(split, 'ner:sec-filings', e, spans=[(x['start'], x['end'], x['type']) for x in e['entities']])
        for src, name in (('wnut17', 'ner:wnut17-tweets'), ('broad-twitter-corpus', 'ner:btc-tweets')):
            for e in pick(jsonl(f'{a.data}/{src}/{split}.jsonl')):
                add(split, name, e, spans=[(x['start'], x['end'], x['type']) for x in e['entities']])
    # wikigold has no split: contiguous 80/10/10 in file order (sentences of one article stay together, except at the
    # two cut points), so test articles are unseen.
    wg = jsonl(f'{a.data}/wikigold/wikigold.jsonl'); n = len(wg); cut1, cut2 = int(n * 0.8), int(n * 0.9)
    for split, part in (('train', wg[:cut1]), ('dev', wg[cut1:cut2]), ('test', wg[cut2:])):
        for e in (part[: a.smoke] if a.smoke else part):
            add(split, 'ner:wikigold-news', e, spans=[(x['start'], x['end'], x['type']) for x in e['entities']])
    for r in rows:
        if 'tags' in r and r['set'] == 'train':
            stats['train_tokens_tagged'] += sum(t > 0 for t in r['tags'])

    # Vocabulary cut to the pieces used (lossless for these texts: unused rows get no gradient).
    used = sorted({0, tok.unk, tok.cls, tok.sep, tok.vocab['[MASK]']} | {i for r in rows for i in r['ids']})
    remap = {o: n for n, o in enumerate(used)}
    for r in rows: r['ids'] = [remap[i] for i in r['ids']]
    count = collections.Counter((r['set'], r['group']) for r in rows)
    print(json.dumps({f'{s}/{g}': c for (s, g), c in sorted(count.items())}, indent=0))
    print('stats', dict(stats), 'vocab used', len(used), flush=True)
    buf = io.BytesIO(); torch.save({'rows': rows, 'max_len': a.max_len}, buf)
    with lzma.open(os.path.join(a.out, 'data.pt.xz'), 'wb', preset=6) as f: f.write(buf.getvalue())

    sd, n_layers = onnx_state(os.path.join(a.model_dir, 'model.onnx'))
    sd['enc.tok.weight'] = sd['enc.tok.weight'][torch.tensor(used)]
    packed = {}
    for k, v in sd.items():
        if v.dim() == 2 and '.layers.' in k:  # Linear [out, in]: int8 per output row
            scale = v.abs().amax(1, keepdim=True).clamp_min(1e-8) / 127
            packed[k] = {'q': torch.round(v / scale).to(torch.int8), 'scale': scale.half()}
        else:
            packed[k] = v.half()
    torch.save({'state': packed, 'n_layers': n_layers, 'vocab_ids': torch.tensor(used, dtype=torch.int32)}, os.path.join(a.out, 'weights.pt'))
    for f in ('data.pt.xz', 'weights.pt'):
        print(f, os.path.getsize(os.path.join(a.out, f)) // 1024, 'KiB')


if __name__ == '__main__':
    main()
