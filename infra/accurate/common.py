"""Shared pieces of the accurate tier (docs/accurate-tier.md): the multitask model on a 12x384 BERT encoder
(bge-small-en-v1.5), a WordPiece tokenizer that keeps character offsets (for entity spans), the BIO tag set and
the metrics. The encoder layout and the ONNX weight mapping are infra/teacher/minilm_teacher.py's (imported from
there where it can be, so the two stay in step); only the vocabulary size is a parameter here, because the device
run carries a vocabulary cut down to the word pieces the data uses (prep.py)."""
import math, os, sys, unicodedata
import torch, torch.nn as nn, torch.nn.functional as F

SENT = ["bearish", "neutral", "bullish"]
TOPICS = ["Analyst Update", "Fed | Central Banks", "Company | Product News", "Treasuries | Corporate Debt", "Dividend", "Earnings",
          "Energy | Oil", "Financials", "Currencies", "General News | Opinion", "Gold | Metals | Materials", "IPO", "Legal | Regulation",
          "M&A | Investments", "Macro", "Markets", "Politics", "Personnel Change", "Stock Commentary", "Stock Movement"]
TYPES = ["PERSON", "ORG", "LOCATION"]
TAGS = ["O"] + [f"{p}-{t}" for t in TYPES for p in "BI"]  # O, B-PERSON, I-PERSON, B-ORG, I-ORG, B-LOCATION, I-LOCATION


class Layer(nn.Module):
    def __init__(s, d=384, h=12, ff=1536):
        super().__init__(); s.h = h
        s.q, s.k, s.v, s.o = (nn.Linear(d, d) for _ in range(4)); s.ln1 = nn.LayerNorm(d, eps=1e-12)
        s.f1 = nn.Linear(d, ff); s.f2 = nn.Linear(ff, d); s.ln2 = nn.LayerNorm(d, eps=1e-12); s.drop = nn.Dropout(0.1)
        s.p_attn = 0.1

    def forward(s, x, bias):
        B, T, D = x.shape; hd = D // s.h
        sp = lambda t: t.view(B, T, s.h, hd).transpose(1, 2)
        # Same arithmetic as minilm_teacher.Layer; SDPA picks a fused kernel on the GPU.
        if hasattr(F, 'scaled_dot_product_attention') and not getattr(s, 'manual', False):
            a = F.scaled_dot_product_attention(sp(s.q(x)), sp(s.k(x)), sp(s.v(x)), attn_mask=bias,
                                               dropout_p=s.p_attn if s.training else 0.0)
        else:  # torch < 2.0 (Debian's 1.13 on the CPU), and the ONNX export
            q, k, v = sp(s.q(x)), sp(s.k(x)), sp(s.v(x))
            att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + (~bias).to(q.dtype) * -1e4
            a = F.dropout(torch.softmax(att, -1), s.p_attn, s.training) @ v
        a = a.transpose(1, 2).reshape(B, T, D)
        x = s.ln1(x + s.drop(s.o(a)))
        return s.ln2(x + s.drop(s.f2(F.gelu(s.f1(x)))))


class Bert(nn.Module):
    def __init__(s, n_layers=12, d=384, vocab=30522):
        super().__init__()
        s.tok = nn.Embedding(vocab, d); s.pos = nn.Embedding(512, d); s.typ = nn.Embedding(2, d); s.ln = nn.LayerNorm(d, eps=1e-12)
        s.layers = nn.ModuleList(Layer() for _ in range(n_layers)); s.drop = nn.Dropout(0.1)

    def forward(s, ids, mask):
        T = ids.shape[1]
        x = s.drop(s.ln(s.tok(ids) + s.pos.weight[:T] + s.typ.weight[0]))
        bias = mask[:, None, None, :] > 0  # True = attend
        for l in s.layers: x = l(x, bias)
        return x


class Multitask(nn.Module):
    """Encoder + sentiment (3) and topic (20) heads on [CLS] ‖ mean-pooled states (as the teacher) + a token head (BIO, 7)."""
    def __init__(s, n_layers=12, vocab=30522):
        super().__init__(); s.enc = Bert(n_layers, vocab=vocab); s.drop = nn.Dropout(0.1)
        s.sent = nn.Linear(768, 3); s.topic = nn.Linear(768, 20); s.tags = nn.Linear(384, len(TAGS))

    def forward(s, ids, mask):
        h = s.enc(ids, mask); m = mask.unsqueeze(-1).to(h.dtype)
        pooled = s.drop(torch.cat([h[:, 0], (h * m).sum(1) / m.sum(1)], -1))
        return s.sent(pooled), s.topic(pooled), s.tags(s.drop(h))


def onnx_state(path):
    """The ONNX export's weights as a Multitask encoder state_dict (keys 'enc.*', fp32 tensors, full vocabulary)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'teacher'))
    from minilm_teacher import load  # MatMul -> Add(bias) name recovery
    w = load(path); t = lambda k: torch.tensor(w[k])
    n = len({k.split('.')[2] for k in w if k.startswith('encoder.layer.')})
    sd = {'enc.tok.weight': t('embeddings.word_embeddings.weight'), 'enc.pos.weight': t('embeddings.position_embeddings.weight'),
          'enc.typ.weight': t('embeddings.token_type_embeddings.weight'),
          'enc.ln.weight': t('embeddings.LayerNorm.weight'), 'enc.ln.bias': t('embeddings.LayerNorm.bias')}
    for i in range(n):
        p = f'encoder.layer.{i}.'; q = f'enc.layers.{i}.'
        for mod, name in (('q', 'attention.self.query'), ('k', 'attention.self.key'), ('v', 'attention.self.value'),
                          ('o', 'attention.output.dense'), ('f1', 'intermediate.dense'), ('f2', 'output.dense')):
            sd[q + mod + '.weight'] = t(p + name + '.weight').T.contiguous(); sd[q + mod + '.bias'] = t(p + name + '.bias')
        for mod, name in (('ln1', 'attention.output.LayerNorm'), ('ln2', 'output.LayerNorm')):
            sd[q + mod + '.weight'] = t(p + name + '.weight'); sd[q + mod + '.bias'] = t(p + name + '.bias')
    return sd, n


class OffsetWordPiece:
    """BERT-uncased basic + WordPiece tokenisation (as minilm_teacher.WordPiece) that also returns, for each piece,
    its [start, end) character offsets in the original text."""
    def __init__(s, vocab):
        s.vocab = vocab; s.unk = vocab['[UNK]']; s.cls = vocab['[CLS]']; s.sep = vocab['[SEP]']; s.pad = vocab['[PAD]']

    @staticmethod
    def _punct(c):
        o = ord(c)
        if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126: return True
        return unicodedata.category(c).startswith('P')

    def words(s, text):
        """[(normalised word, [original index of each of its characters])]."""
        out, cur, idx = [], '', []
        def flush():
            nonlocal cur, idx
            if cur: out.append((cur, idx))
            cur, idx = '', []
        for i, c in enumerate(text):
            o = ord(c)
            if o == 0 or o == 0xFFFD or (unicodedata.category(c).startswith('C') and c not in '\t\n\r'): continue
            if c in '\t\n\r' or c.isspace() or unicodedata.category(c) == 'Zs': flush(); continue
            if (0x4E00 <= o <= 0x9FFF) or (0x3400 <= o <= 0x4DBF) or (0xF900 <= o <= 0xFAFF) or s._punct(c):
                flush(); out.append((c.lower(), [i])); continue
            n = ''.join(x for x in unicodedata.normalize('NFD', c.lower()) if unicodedata.category(x) != 'Mn')
            for x in n: cur += x; idx.append(i)
        flush()
        return out

    def encode(s, text, max_len=128):
        """([CLS] ids [SEP], offsets) with offsets (-1, -1) for the specials."""
        ids, offs = [], []
        for w, idx in s.words(text):
            if len(w) > 100: ids.append(s.unk); offs.append((idx[0], idx[-1] + 1)); continue
            start, pieces = 0, []
            while start < len(w):
                end, found = len(w), None
                while start < end:
                    sub = w[start:end] if start == 0 else '##' + w[start:end]
                    if sub in s.vocab: found = s.vocab[sub]; break
                    end -= 1
                if found is None: pieces = [(s.unk, 0, len(w))]; break
                pieces.append((found, start, end)); start = end
            for pid, a, b in pieces: ids.append(pid); offs.append((idx[a], idx[b - 1] + 1))
        ids, offs = ids[: max_len - 2], offs[: max_len - 2]
        return [s.cls] + ids + [s.sep], [(-1, -1)] + offs + [(-1, -1)]


def bio_labels(offs, spans):
    """Per-token BIO tag indices from gold character spans [(start, end, type)]; types outside TYPES (MISC) stay O."""
    lab = [-100 if o[0] < 0 else 0 for o in offs]
    for a, b, t in spans:
        if t not in TYPES: continue
        first = True
        for i, (x, y) in enumerate(offs):
            if x < 0 or y <= a or x >= b: continue
            lab[i] = TAGS.index(('B-' if first else 'I-') + t); first = False
    return lab


def decode_spans(tags, offs):
    """Character spans {(start, end, type)} from per-token tag indices (an I after O or another type opens a span)."""
    spans, cur = set(), None
    for t, (x, y) in zip(tags, offs):
        if x < 0: continue
        name = TAGS[t]
        if name == 'O':
            if cur: spans.add(tuple(cur)); cur = None
            continue
        p, typ = name.split('-', 1)
        if p == 'I' and cur and cur[2] == typ: cur[1] = y; continue
        if cur: spans.add(tuple(cur))
        cur = [x, y, typ]
    if cur: spans.add(tuple(cur))
    return spans


def span_prf(gold, pred):
    """Exact-span P/R/F1 per type and micro, over lists of sets of (start, end, type)."""
    res = {}
    for typ in TYPES + ['micro']:
        sel = (lambda z: True) if typ == 'micro' else (lambda z, typ=typ: z[2] == typ)
        tp = sum(len({z for z in g if sel(z)} & {z for z in p if sel(z)}) for g, p in zip(gold, pred))
        ng = sum(sum(1 for z in g if sel(z)) for g in gold); np_ = sum(sum(1 for z in p if sel(z)) for p in pred)
        pr = tp / np_ if np_ else 0.0; rc = tp / ng if ng else 0.0
        res[typ] = {'p': round(pr, 4), 'r': round(rc, 4), 'f1': round(2 * pr * rc / (pr + rc), 4) if pr + rc else 0.0, 'gold': ng}
    return res


def acc_f1(gold, pred, k):
    pairs = list(zip(gold, pred)); acc = sum(g == p for g, p in pairs) / max(1, len(pairs)); f1s = []
    for c in range(k):
        tp = sum(g == c and p == c for g, p in pairs); fp = sum(g != c and p == c for g, p in pairs); fn = sum(g == c and p != c for g, p in pairs)
        if tp + fn: f1s.append(2 * tp / (2 * tp + fp + fn))
    return {'acc': round(acc, 4), 'macro_f1': round(sum(f1s) / max(1, len(f1s)), 4), 'n': len(pairs)}
