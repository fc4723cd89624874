#!/usr/bin/env python3
"""Fine-tunes the accurate tier's multitask model (sentiment 3 + topic 20 + BIO entity tags 7 on bge-small-en-v1.5)
from prep.py's files and measures it on the held-out dev and test sets (docs/accurate-tier.md). On the GPU:

  python3 infra/accurate/train.py --carry .accurate-carry --out $OUT --epochs 4 --bs 64 --lr 5e-5

CPU smoke test (tiny data from prep.py --smoke, 2 layers):

  /usr/bin/python3 infra/accurate/train.py --carry /tmp/acc_smoke --out /tmp/acc_smoke/out --epochs 1 --layers 2

A shallower encoder distilled from a trained one (the first N layers and the heads of --init, the --teacher's logits on
the training rows as soft targets beside the gold labels). On a CPU with AVX-512 BF16 the matrix products run in
bfloat16 through oneDNN (Debian's torch has no fast fp32 BLAS: ~50 against ~430 GFLOPS here), so this runs on the CPU:

  /usr/bin/python3 infra/accurate/train.py --carry .accurate-carry --out /tmp/acc4 --layers 4 \
      --init models/accurate-bge-small-c --teacher models/accurate-bge-small-c --dropout 0 --epochs 3

Writes <out>/results.json (per-epoch dev metrics, final dev and test metrics per text style, timings) and the
fine-tuned weights as fp16 state_dict chunks <out>/weights-<i>.pt (each under 16 MiB; load_chunks joins them),
with 'meta.vocab_ids' (cut vocabulary -> bert-base-uncased ids).
"""
import argparse, io, json, lzma, math, os, random, sys, time
import torch, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SENT, TOPICS, TAGS, TYPES, Multitask, acc_f1, decode_spans, span_prf


def tload(f):
    try: return torch.load(f, weights_only=False)
    except TypeError: return torch.load(f)  # torch < 1.13


def first_layers(sd, n):
    """The state_dict without encoder layers n and above."""
    return {k: v for k, v in sd.items() if not k.startswith('enc.layers.') or int(k.split('.')[2]) < n}


def carry_weights(w, n_layers_keep=None):
    """prep.py's pretrained encoder (weights.pt, loaded), its first N layers dequantised to fp32."""
    n = w['n_layers'] if not n_layers_keep else n_layers_keep
    state = first_layers(w['state'], n)
    return {k: (v['q'].float() * v['scale'].float()) if isinstance(v, dict) else v.float() for k, v in state.items()}, n


def save_chunks(sd, out, limit):
    """The state_dict as <out>/weights-<i>.pt files of at most `limit` bytes of tensor data each (tensors over the
    limit split by rows as 'name#part<k>'; load_chunks joins them)."""
    parts = []
    for k, v in sd.items():
        nb = v.numel() * v.element_size()
        if nb <= limit: parts.append((k, v)); continue
        rows = max(1, limit // (v[0].numel() * v.element_size()))
        for j, i in enumerate(range(0, v.shape[0], rows)): parts.append((f'{k}#part{j}', v[i:i + rows].clone()))
    chunk, size, i = {}, 0, 0
    for k, v in parts:
        nb = v.numel() * v.element_size()
        if chunk and size + nb > limit:
            torch.save(chunk, os.path.join(out, f'weights-{i}.pt')); i += 1; chunk, size = {}, 0
        chunk[k] = v; size += nb
    torch.save(chunk, os.path.join(out, f'weights-{i}.pt'))


def load_chunks(folder):
    """A save_chunks state_dict back in one piece."""
    sd, i = {}, 0
    while os.path.exists(os.path.join(folder, f'weights-{i}.pt')):
        sd.update(tload(os.path.join(folder, f'weights-{i}.pt'))); i += 1
    joined = {}
    for k in sorted(sd, key=lambda k: (k.split('#part')[0], int(k.split('#part')[1]) if '#part' in k else 0)):
        base = k.split('#part')[0]; joined.setdefault(base, []).append(sd[k])
    return {k: v[0] if len(v) == 1 else torch.cat(v) for k, v in joined.items()}


def load_init(folder, n_layers_keep, vocab_ids):
    """A train.py output's weights (its first N encoder layers when N is given), checked against the carry's vocabulary."""
    sd = load_chunks(folder); vid = sd.pop('meta.vocab_ids')
    if not torch.equal(torch.as_tensor(vid).long(), torch.as_tensor(vocab_ids).long()):
        raise SystemExit(f'{folder}: its vocabulary is not the carry\'s (prep.py output of other data)')
    n = len({k.split('.')[2] for k in sd if k.startswith('enc.layers.')})
    keep = n_layers_keep or n
    if keep > n: raise SystemExit(f'{folder} has {n} layers, {keep} asked')
    return {k: v.float() for k, v in first_layers(sd, keep).items()}, keep


def cpu_bf16():
    """True where autocast to bfloat16 on the CPU reaches oneDNN's bf16 kernels (AVX-512 BF16 or AMX)."""
    try:
        flags = open('/proc/cpuinfo').read()
    except OSError:
        return False
    return torch.backends.mkldnn.is_available() and ('avx512_bf16' in flags or 'amx_bf16' in flags)


def set_dropout(model, p):
    for mod in model.modules():
        if isinstance(mod, torch.nn.Dropout): mod.p = p
        if hasattr(mod, 'p_attn'): mod.p_attn = p


def teacher_logits(folder, rows, vocab_ids, device, amp, bs=256):
    """The teacher's logits on every row (fp16, on the row dicts: 't_sent', 't_topic', 't_tags' per piece)."""
    sd, n = load_init(folder, 0, vocab_ids)
    teacher = Multitask(n, vocab=len(vocab_ids)); teacher.load_state_dict(sd); teacher.to(device).eval()
    t0 = time.time(); order = batches(rows, bs, False, None)
    with torch.no_grad(), torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
        for j, b in enumerate(order):
            ids, mask, _, _, _, _ = batchify([rows[i] for i in b], device)
            ls, lt, lg = (x.float().half().cpu() for x in teacher(ids, mask))
            for k, i in enumerate(b):
                rows[i]['t_sent'] = ls[k]; rows[i]['t_topic'] = lt[k]; rows[i]['t_tags'] = lg[k, : len(rows[i]['ids'])].clone()
            if (j + 1) % 40 == 0 or j + 1 == len(order):
                print(f'teacher ({n} layers): {j + 1}/{len(order)} batches, {time.time() - t0:.0f}s', flush=True)
    del teacher


def kd_loss(student, teacher, temp):
    """Distillation term: KL(teacher || student) on temperature-softened distributions, scaled by temp^2."""
    return F.kl_div(F.log_softmax(student.float() / temp, -1), F.log_softmax(teacher.float() / temp, -1),
                    log_target=True, reduction='batchmean') * temp * temp


def batchify(rs, device):
    T = max(len(r['ids']) for r in rs); B = len(rs)
    ids = torch.zeros(B, T, dtype=torch.long); mask = torch.zeros(B, T, dtype=torch.long); tags = torch.full((B, T), -100, dtype=torch.long)
    for i, r in enumerate(rs):
        n = len(r['ids']); ids[i, :n] = torch.tensor(r['ids']); mask[i, :n] = 1
        if 'tags' in r: tags[i, :n] = torch.tensor(r['tags'])
    sent = torch.tensor([r['sent'] for r in rs]); topic = torch.tensor([r['topic'] for r in rs])
    has = {'sent': bool((sent >= 0).any()), 'topic': bool((topic >= 0).any()), 'tags': bool((tags >= 0).any())}  # on the CPU: no sync
    nb = device.type == 'cuda'
    return (ids.to(device, non_blocking=nb), mask.to(device, non_blocking=nb), sent.to(device, non_blocking=nb),
            topic.to(device, non_blocking=nb), tags.to(device, non_blocking=nb), has)


def batches(rs, bs, shuffle, rng):
    idx = list(range(len(rs)))
    if shuffle: rng.shuffle(idx)
    out = []
    for w in range(0, len(idx), bs * 50):
        c = sorted(idx[w:w + bs * 50], key=lambda i: len(rs[i]['ids'])); out += [c[i:i + bs] for i in range(0, len(c), bs)]
    if shuffle: rng.shuffle(out)
    return out


def predict(model, rs, device, amp, bs=256):
    model.eval(); ps, pt, pg = [None] * len(rs), [None] * len(rs), [None] * len(rs)
    with torch.no_grad(), torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
        for b in batches(rs, bs, False, None):
            ids, mask, _, _, _, _ = batchify([rs[i] for i in b], device)
            ls, lt, lg = model(ids, mask)
            ls, lt, lg = ls.argmax(-1).tolist(), lt.argmax(-1).tolist(), lg.argmax(-1).tolist()
            for j, i in enumerate(b): ps[i] = ls[j]; pt[i] = lt[j]; pg[i] = lg[j][: len(rs[i]['ids'])]
    model.train(); return ps, pt, pg


def evaluate(model, rows, device, amp):
    ps, pt, pg = predict(model, rows, device, amp)
    groups = sorted({r['group'] for r in rows}); res = {}
    for g in groups:
        ix = [i for i, r in enumerate(rows) if r['group'] == g]
        if g.startswith('sent:'):
            lab = [i for i in ix if rows[i]['sent'] >= 0]
            res[g] = acc_f1([rows[i]['sent'] for i in lab], [ps[i] for i in lab], 3)
            if g == 'sent:headlines':
                ag = [i for i in lab if rows[i].get('agree')]
                res[g + '(all-entities-agree)'] = acc_f1([rows[i]['sent'] for i in ag], [ps[i] for i in ag], 3)
            if g == 'sent:news':  # FinEntity: ORG recall only (it annotates only the companies a text takes a view on)
                gold = [{tuple(z) for z in rows[i]['gold']} for i in ix]
                pred = [{z for z in decode_spans(pg[i], rows[i]['offs']) if z[2] == 'ORG'} for i in ix]
                ng = sum(len(x) for x in gold); tp = sum(len(x & y) for x, y in zip(gold, pred))
                res['ner:finentity-news(ORG recall only)'] = {'recall': round(tp / max(1, ng), 4), 'gold': ng}
        elif g.startswith('topic:'):
            res[g] = acc_f1([rows[i]['topic'] for i in ix], [pt[i] for i in ix], 20)
        elif g.startswith('ner:'):
            gold = [{tuple(z) for z in rows[i]['gold']} for i in ix]
            pred = [decode_spans(pg[i], rows[i]['offs']) for i in ix]
            res[g] = span_prf(gold, pred)
            # Ceiling of the metric given the tokenisation (gold spans that do not fall on piece boundaries or lie past max_len).
            ceil = [decode_spans(rows[i]['tags'], rows[i]['offs']) for i in ix]
            res[g]['alignment_ceiling_recall'] = round(sum(len(g_ & c) for g_, c in zip(gold, ceil)) / max(1, sum(len(x) for x in gold)), 4)
    return res


def brief(res):
    out = []
    for g, m in res.items():
        if 'micro' in m: out.append(f"{g} F1 {m['micro']['f1']:.3f}")
        elif 'acc' in m: out.append(f"{g} acc {m['acc']:.3f} mF1 {m['macro_f1']:.3f}")
        elif 'recall' in m: out.append(f"{g} {m['recall']:.3f}")
    return ' | '.join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--carry', required=True); ap.add_argument('--out', required=True)
    ap.add_argument('--epochs', type=int, default=4); ap.add_argument('--bs', type=int, default=64)
    ap.add_argument('--lr', type=float, default=5e-5); ap.add_argument('--head-lr', type=float, default=5e-4)
    ap.add_argument('--warmup', type=float, default=0.06); ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--layers', type=int, default=0, help='keep only the first N encoder layers')
    ap.add_argument('--init', default='', help='start from a train.py output folder instead of the pretrained encoder')
    ap.add_argument('--teacher', default='', help='distil from a train.py output folder (its logits as soft targets)')
    ap.add_argument('--kd-weight', type=float, default=1.0); ap.add_argument('--kd-temp', type=float, default=2.0)
    ap.add_argument('--dropout', type=float, default=0.1)
    ap.add_argument('--log-every', type=int, default=0, help='progress line every N steps (default: 200 on the CPU)')
    ap.add_argument('--ner-weight', type=float, default=1.0)
    ap.add_argument('--no-save', action='store_true')
    ap.add_argument('--oversample', default='', help="repeat a group's training rows k times per epoch, e.g. 'ner:wikigold-news=3,sent:tweets=2'")
    a = ap.parse_args()
    t0 = time.time(); torch.manual_seed(a.seed); rng = random.Random(a.seed)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu'); amp = device.type == 'cuda' or cpu_bf16()
    if device.type == 'cpu': torch.set_num_threads(os.cpu_count() or 1)  # Debian's torch starts with one thread
    if device.type == 'cuda': torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
    with lzma.open(os.path.join(a.carry, 'data.pt.xz')) as f: data = tload(io.BytesIO(f.read()))['rows']
    carry = tload(os.path.join(a.carry, 'weights.pt')); vocab_ids = carry['vocab_ids']
    # --init replaces the pretrained start point: the carry then only names the vocabulary.
    sd, n_layers = load_init(a.init, a.layers, vocab_ids) if a.init else carry_weights(carry, a.layers)
    del carry
    model = Multitask(n_layers, vocab=len(vocab_ids))
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and all(k.split('.')[0] in ('sent', 'topic', 'tags') for k in missing), (missing, unexpected)
    set_dropout(model, a.dropout); model.to(device)
    train = [r for r in data if r['set'] == 'train' and (r['sent'] >= 0 or r['topic'] >= 0 or 'tags' in r)]
    for spec in filter(None, a.oversample.split(',')):
        g, k = spec.rsplit('=', 1); extra = [r for r in train if r['group'] == g]
        if not extra: raise SystemExit(f'--oversample: no training rows in group {g}')
        train += extra * (int(k) - 1)
    dev = [r for r in data if r['set'] == 'dev']; test = [r for r in data if r['set'] == 'test']
    if a.teacher:  # oversampled copies are the same row dicts: each row is read once
        uniq = list({id(r): r for r in train}.values()); teacher_logits(a.teacher, uniq, vocab_ids, device, amp)
    log_every = a.log_every or (0 if device.type == 'cuda' else 200)
    print(f'device {device} ({torch.cuda.get_device_name() if device.type == "cuda" else "cpu, bf16 " + str(amp)}), torch {torch.__version__}, layers {n_layers}, '
          f'vocab {len(vocab_ids)}, train {len(train)} dev {len(dev)} test {len(test)}, load {time.time() - t0:.1f}s', flush=True)
    heads = [p for n, p in model.named_parameters() if not n.startswith('enc.')]
    enc_decay = [p for n, p in model.named_parameters() if n.startswith('enc.') and p.dim() == 2 and 'tok' not in n and 'pos' not in n and 'typ' not in n]
    enc_rest = [p for n, p in model.named_parameters() if n.startswith('enc.') and not any(p is q for q in enc_decay)]
    opt = torch.optim.AdamW([{'params': enc_decay, 'weight_decay': 0.01, 'lr': a.lr}, {'params': enc_rest, 'weight_decay': 0.0, 'lr': a.lr},
                             {'params': heads, 'weight_decay': 0.01, 'lr': a.head_lr}], lr=a.lr,
                            **({'fused': True} if device.type == 'cuda' else {}))
    steps = a.epochs * math.ceil(len(train) / a.bs); warm = max(1, int(steps * a.warmup))
    base = [g['lr'] for g in opt.param_groups]
    results = {'args': vars(a), 'train_examples': len(train), 'epochs': []}
    step = 0; t_train = time.time()
    for ep in range(a.epochs):
        te = time.time(); tot = {'sent': 0.0, 'topic': 0.0, 'tags': 0.0}; cnt = {'sent': 0, 'topic': 0, 'tags': 0}
        for b in batches(train, a.bs, True, rng):
            ids, mask, sent, topic, tags, has = batchify([train[i] for i in b], device)
            f = min(1.0, (step + 1) / warm) if step < warm else max(0.0, (steps - step) / max(1, steps - warm))
            for g, lr0 in zip(opt.param_groups, base): g['lr'] = lr0 * f
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
                ls, lt, lg = model(ids, mask)
            loss = 0.0
            for name, logits, y, w in (('sent', ls, sent, 1.0), ('topic', lt, topic, 1.0), ('tags', lg.reshape(-1, len(TAGS)), tags.reshape(-1), a.ner_weight)):
                if has[name]:
                    l = F.cross_entropy(logits.float(), y, ignore_index=-100); loss = loss + w * l
                    tot[name] = tot[name] + l.detach(); cnt[name] += 1
            if a.teacher:  # every task on every row, labelled or not
                rs = [train[i] for i in b]; on = mask.bool()
                tg = torch.zeros(lg.shape[0], lg.shape[1], len(TAGS))
                for k, r in enumerate(rs): tg[k, : len(r['ids'])] = r['t_tags'].float()
                l = (kd_loss(ls, torch.stack([r['t_sent'] for r in rs]).to(device), a.kd_temp)
                     + kd_loss(lt, torch.stack([r['t_topic'] for r in rs]).to(device), a.kd_temp)
                     + a.ner_weight * kd_loss(lg[on], tg.to(device)[on], a.kd_temp))
                loss = loss + a.kd_weight * l; tot['kd'] = tot.get('kd', 0.0) + l.detach(); cnt['kd'] = cnt.get('kd', 0) + 1
            opt.zero_grad(set_to_none=True); loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); step += 1
            if log_every and step % log_every == 0:
                print(f'  step {step}/{steps} ({time.time() - te:.0f}s into epoch {ep + 1})', flush=True)
        el = time.time() - te
        dv = evaluate(model, dev, device, amp)
        results['epochs'].append({'epoch': ep + 1, 'train_s': round(el, 1), 'dev': dv})
        loss_s = ' '.join(f'{k} {float(tot[k]) / max(1, cnt[k]):.3f}' for k in tot)
        results['epochs'][-1]['train_loss'] = loss_s
        print(f'epoch {ep + 1}/{a.epochs} {el:.0f}s steps {step} loss {loss_s} | dev ' + brief(dv), flush=True)
    results['train_s'] = round(time.time() - t_train, 1)
    results['dev'] = results['epochs'][-1]['dev']; results['test'] = evaluate(model, test, device, amp)
    print('test ' + brief(results['test']), flush=True)
    results['total_s'] = round(time.time() - t0, 1); results['n_layers'] = n_layers; results['vocab'] = len(vocab_ids)
    results['device'] = torch.cuda.get_device_name() if device.type == 'cuda' else f'cpu (bf16 {amp})'; results['torch'] = torch.__version__
    os.makedirs(a.out, exist_ok=True)
    json.dump(results, open(os.path.join(a.out, 'results.json'), 'w'), indent=1)
    if not a.no_save:
        sd = {k: v.detach().half().cpu() for k, v in model.state_dict().items()}
        sd['meta.vocab_ids'] = vocab_ids
        save_chunks(sd, a.out, 15 * 2 ** 20)
    print(f'done in {time.time() - t0:.0f}s', flush=True)


if __name__ == '__main__':
    main()
