#!/usr/bin/env python3
"""Fine-tunes all-MiniLM-L6-v2 on the training split's sentiment and topic labels and writes its logits as a
`train --teacher` file (knowledge distillation; docs/model.md, Training and Results). Any 384-wide BERT-uncased
ONNX export of any depth works through --model-dir, e.g. the 12-layer bge-small-en-v1.5 from
infra/pretrained/fetch-bge-small.sh (a stronger teacher at about 2.5x the time).

A one-off research tool, not part of the product or of `npm test`: PyTorch trains the teacher only because
tfjs on this 2-core CPU cannot (measured: docs/model.md). Needs Debian's python3-torch and python3-onnx plus
libopenblas0-pthread (without it Debian's torch runs on the reference BLAS: a training step is ~8x slower), the
splits from `npm run splits -- --splits train,dev,test`, and the model from infra/pretrained/fetch-minilm.sh:

  /usr/bin/python3 infra/teacher/minilm_teacher.py --splits /tmp/splits --out /tmp/teacher/t1 --epochs 1 --freeze 2 --lr 1e-4

The 12-layer teacher b3 of docs/model.md: bge-small, 3 epochs (~70 min of training on one core here, ~25 of scoring):

  bash infra/pretrained/fetch-bge-small.sh
  /usr/bin/python3 infra/teacher/minilm_teacher.py --splits /tmp/splits --model-dir infra/pretrained/bge-small-en-v1.5 --out /tmp/teacher/b3 --epochs 3 --freeze 0 --lr 5e-5 --seed 2 --threads 1 --save /tmp/teacher/b3.pt --augment 2 --augment-tasks sentiment,topic=1

Writes <out>.{train,dev,test}.logits.jsonl ({text, sentiment: [3], topic: [20]}) and prints dev/test metrics.
With --save the weights are kept; a later run with --load skips training, e.g. to write a transfer set of
word-replaced training texts scored by the teacher (`train --transfer`, docs/model.md):

  /usr/bin/python3 infra/teacher/minilm_teacher.py --splits /tmp/splits --out /tmp/teacher/t2 --load /tmp/teacher/t2.pt --splits-to-score '' --augment 2

--features K adds each train and augment text's pooled vector (768 values) reduced to K principal components as
"features" (the student's --feature-weight term; K 128 keeps ~96 % of the variance of t2's vectors).

The files hold the sources' text, so --out and --save must lie outside the repository (checked).
"""
import argparse, json, math, os, random, re, time, unicodedata
import onnx, torch, torch.nn as nn, torch.nn.functional as F
from onnx import numpy_helper


# Maps the MiniLM ONNX initializers to BERT parameter names (MatMul weights are anonymous: follow MatMul -> Add(bias)).
def load(path):
    m = onnx.load(path)
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    consumers = {}
    for n in m.graph.node:
        for x in n.input: consumers.setdefault(x, []).append(n)
    out = {k: v for k, v in init.items() if not k.startswith('onnx::')}
    for n in m.graph.node:
        if n.op_type != 'MatMul': continue
        w = [x for x in n.input if x in init and x.startswith('onnx::')]
        if not w: continue
        adds = [c for c in consumers.get(n.output[0], []) if c.op_type == 'Add']
        bias = [x for a in adds for x in a.input if x.endswith('.bias') and x in init]
        assert bias, n.name
        out[bias[0][:-len('.bias')] + '.weight'] = init[w[0]]  # [in, out]
    return out


class WordPiece:
    def __init__(self, path):
        t = json.load(open(path)); self.vocab = t['model']['vocab']
        self.unk = self.vocab['[UNK]']; self.cls = self.vocab['[CLS]']; self.sep = self.vocab['[SEP]']; self.pad = self.vocab['[PAD]']
    @staticmethod
    def _punct(c):
        o = ord(c)
        if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126: return True
        return unicodedata.category(c).startswith('P')
    def basic(self, text):
        out = []
        for c in text:
            o = ord(c)
            if o == 0 or o == 0xFFFD or (unicodedata.category(c).startswith('C') and c not in '\t\n\r'): continue
            if c in '\t\n\r' or unicodedata.category(c) == 'Zs': out.append(' '); continue
            if (0x4E00 <= o <= 0x9FFF) or (0x3400 <= o <= 0x4DBF) or (0xF900 <= o <= 0xFAFF): out.append(' ' + c + ' '); continue
            out.append(c)
        text = ''.join(out).lower()
        text = ''.join(c for c in unicodedata.normalize('NFD', text) if unicodedata.category(c) != 'Mn')
        words = []
        for w in text.split():
            cur = ''
            for c in w:
                if self._punct(c):
                    if cur: words.append(cur); cur = ''
                    words.append(c)
                else: cur += c
            if cur: words.append(cur)
        return words
    def word(self, w):
        if len(w) > 100: return [self.unk]
        ids, start = [], 0
        while start < len(w):
            end, found = len(w), None
            while start < end:
                s = w[start:end] if start == 0 else '##' + w[start:end]
                if s in self.vocab: found = self.vocab[s]; break
                end -= 1
            if found is None: return [self.unk]
            ids.append(found); start = end
        return ids
    def encode(self, text, max_len=64):
        ids = [i for w in self.basic(text) for i in self.word(w)][: max_len - 2]
        return [self.cls] + ids + [self.sep]

class Layer(nn.Module):
    def __init__(s, d=384, h=12, ff=1536):
        super().__init__(); s.h = h
        s.q, s.k, s.v, s.o = (nn.Linear(d, d) for _ in range(4)); s.ln1 = nn.LayerNorm(d, eps=1e-12)
        s.f1 = nn.Linear(d, ff); s.f2 = nn.Linear(ff, d); s.ln2 = nn.LayerNorm(d, eps=1e-12); s.drop = nn.Dropout(0.1)
    def forward(s, x, bias):
        B, T, D = x.shape; hd = D // s.h
        sp = lambda t: t.view(B, T, s.h, hd).transpose(1, 2)
        a = torch.softmax(sp(s.q(x)) @ sp(s.k(x)).transpose(-1, -2) / math.sqrt(hd) + bias, -1)
        a = (s.drop(a) @ sp(s.v(x))).transpose(1, 2).reshape(B, T, D)
        x = s.ln1(x + s.drop(s.o(a)))
        return s.ln2(x + s.drop(s.f2(F.gelu(s.f1(x)))))

class Bert(nn.Module):
    def __init__(s, n_layers=6, d=384):
        super().__init__()
        s.tok = nn.Embedding(30522, d); s.pos = nn.Embedding(512, d); s.typ = nn.Embedding(2, d); s.ln = nn.LayerNorm(d, eps=1e-12)
        s.layers = nn.ModuleList(Layer() for _ in range(n_layers)); s.drop = nn.Dropout(0.1)
    def forward(s, ids, mask):
        T = ids.shape[1]
        x = s.drop(s.ln(s.tok(ids) + s.pos.weight[:T] + s.typ.weight[0]))
        bias = (1.0 - mask[:, None, None, :].float()) * -1e4
        for l in s.layers: x = l(x, bias)
        return x
    @staticmethod
    def from_onnx(path):
        """A Bert as deep as the export (MiniLM-L6: 6 layers, bge-small: 12), holding its weights."""
        w = load(path); t = lambda k: torch.tensor(w[k])
        n = len({k.split('.')[2] for k in w if k.startswith('encoder.layer.')})
        emb = w.get('embeddings.word_embeddings.weight')
        # A raise, not an assert: python -O drops asserts, and a wrong export must not train silently.
        if n == 0 or emb is None or emb.shape != (30522, 384):
            raise SystemExit(f'{path}: not a 384-wide BERT-uncased export ({n} encoder layers, word embeddings {None if emb is None else emb.shape})')
        s = Bert(n_layers=n)
        with torch.no_grad():
            s.tok.weight.copy_(t('embeddings.word_embeddings.weight')); s.pos.weight.copy_(t('embeddings.position_embeddings.weight'))
            s.typ.weight.copy_(t('embeddings.token_type_embeddings.weight'))
            s.ln.weight.copy_(t('embeddings.LayerNorm.weight')); s.ln.bias.copy_(t('embeddings.LayerNorm.bias'))
            for i, l in enumerate(s.layers):
                p = f'encoder.layer.{i}.'
                for mod, name in ((l.q, 'attention.self.query'), (l.k, 'attention.self.key'), (l.v, 'attention.self.value'),
                                  (l.o, 'attention.output.dense'), (l.f1, 'intermediate.dense'), (l.f2, 'output.dense')):
                    mod.weight.copy_(t(p + name + '.weight').T); mod.bias.copy_(t(p + name + '.bias'))
                for mod, name in ((l.ln1, 'attention.output.LayerNorm'), (l.ln2, 'output.LayerNorm')):
                    mod.weight.copy_(t(p + name + '.weight')); mod.bias.copy_(t(p + name + '.bias'))
        return s

# Label orders must match packages/schemas (SENTIMENT_LABELS, TOPIC_LABELS): `train --teacher` reads logits by index.
TOPICS = ["Analyst Update", "Fed | Central Banks", "Company | Product News", "Treasuries | Corporate Debt", "Dividend", "Earnings",
          "Energy | Oil", "Financials", "Currencies", "General News | Opinion", "Gold | Metals | Materials", "IPO", "Legal | Regulation",
          "M&A | Investments", "Macro", "Markets", "Politics", "Personnel Change", "Stock Commentary", "Stock Movement"]
SENT = ["bearish", "neutral", "bullish"]


class Teacher(nn.Module):
    """The encoder (MiniLM, bge-small) + one linear head per task on [CLS] ‖ mean-pooled states (the student's pooling)."""
    def __init__(s, model_dir):
        super().__init__(); s.enc = Bert.from_onnx(os.path.join(model_dir, 'model.onnx')); s.drop = nn.Dropout(0.1)
        s.sent = nn.Linear(768, 3); s.topic = nn.Linear(768, 20)
    def forward(s, ids, mask, with_pooled=False):
        h = s.enc(ids, mask); m = mask.unsqueeze(-1).float()
        pooled = s.drop(torch.cat([h[:, 0], (h * m).sum(1) / m.sum(1)], -1))
        return (s.sent(pooled), s.topic(pooled), pooled) if with_pooled else (s.sent(pooled), s.topic(pooled))


def read_split(path, tok, max_len):
    out = []
    for line in open(path):
        e = json.loads(line)
        s = SENT.index(e['sentiment']) if e.get('sentiment') else -100
        t = (e['topic'] if isinstance(e['topic'], int) else TOPICS.index(e['topic'])) if e.get('topic') is not None else -100
        out.append((e['text'], tok.encode(e['text'], max_len), s, t))
    return out


def batchify(rs):
    T = max(len(r[1]) for r in rs); ids = torch.zeros(len(rs), T, dtype=torch.long); mask = torch.zeros(len(rs), T)
    for i, r in enumerate(rs): ids[i, : len(r[1])] = torch.tensor(r[1]); mask[i, : len(r[1])] = 1
    return ids, mask, torch.tensor([r[2] for r in rs]), torch.tensor([r[3] for r in rs])


def batches(rs, bs, shuffle):
    """Length-bucketed like the student's trainer: sort windows of 50 batches by length, then shuffle the batches."""
    idx = list(range(len(rs)))
    if shuffle: random.shuffle(idx)
    out = []
    for w in range(0, len(idx), bs * 50):
        c = sorted(idx[w:w + bs * 50], key=lambda i: len(rs[i][1])); out += [c[i:i + bs] for i in range(0, len(c), bs)]
    if shuffle: random.shuffle(out)
    return out


def predict(model, rs, device, pooled=None):
    """Logits per row; with a [len(rs), 768] tensor as `pooled`, also fills it with the pooled vectors."""
    model.eval(); ps, pt = [None] * len(rs), [None] * len(rs)
    with torch.no_grad():
        for b in batches(rs, 128, False):
            ids, mask, _, _ = batchify([rs[i] for i in b]); ls, lt, pv = model(ids.to(device), mask.to(device), with_pooled=True)
            for j, i in enumerate(b): ps[i] = ls[j].tolist(); pt[i] = lt[j].tolist()
            if pooled is not None: pooled[b] = pv.float().cpu()
    model.train(); return ps, pt


def score(rs, logits, col, k):
    """(accuracy, macro-F1) over the rows labelled for this task."""
    pairs = [(r[col], max(range(k), key=lambda c: l[c])) for r, l in zip(rs, logits) if r[col] >= 0]
    acc = sum(g == p for g, p in pairs) / len(pairs); f1s = []
    for c in range(k):
        tp = sum(g == c and p == c for g, p in pairs); fp = sum(g != c and p == c for g, p in pairs); fn = sum(g == c and p != c for g, p in pairs)
        if tp + fn: f1s.append(2 * tp / (2 * tp + fp + fn))
    return round(acc, 4), round(sum(f1s) / len(f1s), 4)


WORD = re.compile(r"[A-Za-z]+")


def neighbour_table(model, tok, words, k):
    """For each lower-case whole-word vocabulary entry among `words`: its k nearest whole words by cosine similarity of
    the encoder's input token embeddings (TinyBERT-style replacement candidates for single-piece words)."""
    cands = [w for w, i in tok.vocab.items() if WORD.fullmatch(w) and len(w) > 1 and i >= 1996]  # 1996: first non-special entry
    emb = F.normalize(model.enc.tok.weight.detach().cpu(), dim=-1)
    ce = emb[[tok.vocab[w] for w in cands]]
    ask = [w for w in words if w in tok.vocab and WORD.fullmatch(w)]
    out = {}
    for i in range(0, len(ask), 2048):
        chunk = ask[i:i + 2048]; sim = emb[[tok.vocab[w] for w in chunk]] @ ce.T
        top = sim.topk(k + 1, dim=-1).indices.tolist()
        for w, row in zip(chunk, top): out[w] = [cands[j] for j in row if cands[j] != w][:k]
    return out


def augment(text, table, rng, p):
    """One variant of `text`: each alphabetic word with neighbours is replaced with probability p by a random one (its
    case pattern kept); each digit of a number changes with probability p. Cashtags, @names and URLs stay as they are."""
    out = []
    for tokn in text.split(' '):
        if not tokn or tokn[0] in '$@#' or '://' in tokn or tokn.startswith('www.'):
            out.append(tokn); continue
        def word(m):
            w = m.group(0); nb = table.get(w.lower())
            if not nb or rng.random() >= p: return w
            r = rng.choice(nb)
            return r.upper() if w.isupper() and len(w) > 1 else r.capitalize() if w[0].isupper() else r
        tokn = WORD.sub(word, tokn)
        out.append(re.sub(r"\d", lambda m: str(rng.randrange(10)) if rng.random() < p else m.group(0), tokn))
    return ' '.join(out)


def write_logits(path, rs, ps, pt, feats=None):
    with open(path, 'w') as f:
        for i, (r, s, t) in enumerate(zip(rs, ps, pt)):
            row = {'text': r[0], 'sentiment': [round(x, 4) for x in s], 'topic': [round(x, 4) for x in t]}
            if feats is not None: row['features'] = [round(x, 3) for x in feats[i].tolist()]
            f.write(json.dumps(row) + '\n')
    print(f'wrote {path}', flush=True)


class Features:
    """The teacher's pooled vectors reduced to k principal components (fitted on the training texts' vectors),
    scaled so an average component has variance 1: targets for the student's `--feature-weight` (a representation
    hint beside the 23 logits; docs/model.md)."""
    def __init__(s, train_pooled, k):
        s.mean = train_pooled.mean(0)
        _, sv, v = torch.linalg.svd(train_pooled - s.mean, full_matrices=False)
        s.basis = v[:k].T; var = (sv[:k] ** 2) / (len(train_pooled) - 1)
        s.scale = var.mean().sqrt()
        print(f'features: {k} of 768 components keep {float((sv[:k] ** 2).sum() / (sv ** 2).sum()):.1%} of the variance', flush=True)
    def __call__(s, pooled):
        return (pooled - s.mean) @ s.basis / s.scale


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--splits', required=True, help='folder with train/dev/test.jsonl from npm run splits')
    ap.add_argument('--model-dir', default=os.path.join(os.path.dirname(__file__), '..', 'pretrained', 'all-minilm-l6-v2'), help='model.onnx + tokenizer.json of a 384-wide BERT-uncased export')
    ap.add_argument('--out', required=True, help='output prefix (outside the repository)')
    ap.add_argument('--epochs', type=int, default=1); ap.add_argument('--lr', type=float, default=1e-4); ap.add_argument('--bs', type=int, default=32)
    ap.add_argument('--freeze', type=int, default=2, help='lower encoder layers kept frozen (embeddings always are): CPU time')
    ap.add_argument('--max-len', type=int, default=64); ap.add_argument('--threads', type=int, default=2); ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--device', default='auto', help='auto (cuda when torch sees a GPU), cpu or cuda')
    ap.add_argument('--save', help='also write the fine-tuned weights here (torch state_dict; outside the repository)')
    ap.add_argument('--load', help='skip training: score with weights written by an earlier --save')
    ap.add_argument('--augment', type=int, default=0, help='also write <out>.augment.logits.jsonl: this many word-replaced variants per training text, scored by the teacher (a transfer set for train --transfer)')
    ap.add_argument('--augment-tasks', default='sentiment', help='augment the training texts labelled for these tasks (comma list of sentiment, topic; task=K gives that task its own variant count instead of --augment)')
    ap.add_argument('--replace-p', type=float, default=0.3, help='per-word replacement probability of --augment')
    ap.add_argument('--neighbours', type=int, default=10, help='replacement candidates per word (nearest input embeddings of the encoder)')
    ap.add_argument('--splits-to-score', default='dev,test,train', help='which splits to write logits for (comma list; may be empty)')
    ap.add_argument('--features', type=int, default=0, help='also write each text\'s pooled vector reduced to this many principal components (fitted on the training texts) as "features" in the train and augment files, for train --feature-weight; 0 = off')
    a = ap.parse_args(); torch.set_num_threads(a.threads); torch.manual_seed(a.seed); random.seed(a.seed)
    per_task = {}
    for item in a.augment_tasks.split(','):
        name, _, k = item.partition('=')
        if name not in ('sentiment', 'topic'): ap.error(f'--augment-tasks: unknown task {name!r}; use sentiment and/or topic')
        if k and not k.isdigit(): ap.error(f'--augment-tasks: {item!r}: the count after = must be a whole number')
        per_task[name] = int(k) if k else a.augment
    if bad := set(x for x in a.splits_to_score.split(',') if x) - {'train', 'dev', 'test'}:
        ap.error(f'--splits-to-score: unknown split(s) {sorted(bad)}; use train, dev and/or test')
    repo = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..'))
    for flag, path in (('--out', a.out), ('--save', a.save)):
        if path and os.path.commonpath([repo, os.path.realpath(path)]) == repo:
            ap.error(f'{flag} {path} is inside the repository; it holds or derives from third-party text that must not be committed')
    tok = WordPiece(os.path.join(a.model_dir, 'tokenizer.json'))
    data = {k: read_split(os.path.join(a.splits, f'{k}.jsonl'), tok, a.max_len) for k in ('train', 'dev', 'test')}
    train = [r for r in data['train'] if r[2] >= 0 or r[3] >= 0]
    print(f'train {len(train)} texts labelled for sentiment or topic', flush=True)
    device = torch.device(('cuda' if torch.cuda.is_available() else 'cpu') if a.device == 'auto' else a.device)
    print(f'device {device}', flush=True)
    model = Teacher(a.model_dir).to(device)
    if a.load:
        model.load_state_dict(torch.load(a.load, map_location=device)); a.epochs = 0
        print(f'loaded {a.load}; not training', flush=True)
    frozen = [model.enc.tok, model.enc.pos, model.enc.typ, model.enc.ln, *model.enc.layers[: a.freeze]]
    for mod in frozen:
        for p in mod.parameters(): p.requires_grad_(False)
    nodecay = lambda n: n.endswith('bias') or '.ln' in n
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{'params': [p for n, p in named if not nodecay(n)], 'weight_decay': 0.01},
                             {'params': [p for n, p in named if nodecay(n)], 'weight_decay': 0.0}], lr=a.lr)
    steps = a.epochs * math.ceil(len(train) / a.bs); warm = max(1, int(0.06 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    step, t0 = 0, time.time()
    for ep in range(a.epochs):
        for b in batches(train, a.bs, True):
            ids, mask, ys, yt = (t.to(device) for t in batchify([train[i] for i in b])); ls, lt = model(ids, mask)
            loss = 0
            if (ys >= 0).any(): loss = loss + F.cross_entropy(ls, ys, ignore_index=-100)
            if (yt >= 0).any(): loss = loss + F.cross_entropy(lt, yt, ignore_index=-100)
            opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); sched.step(); step += 1
            if step % 50 == 0:
                el = time.time() - t0
                print(f'epoch {ep + 1} step {step}/{steps} loss {loss.item():.3f} {step * a.bs / el:.1f} ex/s eta {(steps - step) * el / step / 60:.1f} min', flush=True)
        ps, pt = predict(model, data['dev'], device)
        print(f'== epoch {ep + 1} dev sentiment {score(data["dev"], ps, 2, 3)} topic {score(data["dev"], pt, 3, 20)}', flush=True)
    if a.save and not a.load:
        torch.save(model.state_dict(), a.save); print(f'saved {a.save}', flush=True)
    if a.features and 'train' not in a.splits_to_score.split(','):
        ap.error('--features needs train in --splits-to-score (the components are fitted on the training texts)')
    proj = None
    for k in sorted((x for x in a.splits_to_score.split(',') if x), key=lambda x: x != 'train'):  # train first: it fits proj
        pooled = torch.zeros(len(data[k]), 768) if a.features and k == 'train' else None
        t1 = time.time(); ps, pt = predict(model, data[k], device, pooled)
        if k != 'train': print(f'{k} sentiment (acc, macro-F1) {score(data[k], ps, 2, 3)} topic {score(data[k], pt, 3, 20)}', flush=True)
        print(f'{k}: {len(data[k])} texts scored at {len(data[k]) / (time.time() - t1):.0f} texts/s', flush=True)
        if pooled is not None: proj = Features(pooled, a.features)
        write_logits(f'{a.out}.{k}.logits.jsonl', data[k], ps, pt, proj(pooled) if pooled is not None else None)
    if any(per_task.values()):
        cols = {'sentiment': 2, 'topic': 3}
        # Variants per text: the largest count among the tasks it is labelled for (0 = not augmented).
        src = [(r, k) for r in data['train'] if (k := max((n for t, n in per_task.items() if r[cols[t]] >= 0), default=0)) > 0]
        words = {w.lower() for r, _ in src for w in WORD.findall(r[0])}
        t1 = time.time(); table = neighbour_table(model, tok, words, a.neighbours)
        print(f'augment: neighbours for {len(table)} of {len(words)} words in {time.time() - t1:.0f} s', flush=True)
        rng = random.Random(a.seed); seen = {r[0] for r in data['train']}; rows = []
        for r, k in src:
            for _ in range(k):
                t = augment(r[0], table, rng, a.replace_p)
                if t not in seen: seen.add(t); rows.append((t, tok.encode(t, a.max_len), -100, -100))
        print(f'augment: {len(rows)} new texts from {len(src)} training texts; scoring', flush=True)
        pooled = torch.zeros(len(rows), 768) if proj else None
        t1 = time.time(); ps, pt = predict(model, rows, device, pooled)
        print(f'augment: scored at {len(rows) / (time.time() - t1):.0f} texts/s', flush=True)
        write_logits(f'{a.out}.augment.logits.jsonl', rows, ps, pt, proj(pooled) if proj else None)


if __name__ == '__main__':
    main()
