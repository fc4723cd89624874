#!/usr/bin/env python3
"""Exports the fine-tuned accurate-tier model (train.py's weights-<i>.pt) to ONNX with the full bert-base-uncased
vocabulary: rows of word pieces the training data never used are bge-small's own (they got no gradient), the rest
are the fine-tuned rows. Inputs input_ids, attention_mask [batch, seq] int64; outputs sentiment [b, 3], topic
[b, 20], tags [b, seq, 7] (common.TAGS order) logits.

  /usr/bin/python3 infra/accurate/export_onnx.py --weights /tmp/accurate/out --model-dir infra/pretrained/bge-small-en-v1.5 --out /tmp/accurate/accurate.onnx
"""
import argparse, os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Multitask, onnx_state
from train import load_chunks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True); ap.add_argument('--model-dir', default='infra/pretrained/bge-small-en-v1.5')
    ap.add_argument('--out', required=True); ap.add_argument('--check', action='store_true', help='compare with the cut-vocabulary model in torch')
    a = ap.parse_args()
    sd = load_chunks(a.weights); vid = sd.pop('meta.vocab_ids').long()
    base, _ = onnx_state(os.path.join(a.model_dir, 'model.onnx'))
    n = len({k.split('.')[2] for k in sd if k.startswith('enc.layers.')})
    full = base['enc.tok.weight'].clone(); full[vid] = sd['enc.tok.weight'].float()
    sd = {k: v.float() for k, v in sd.items()}; sd['enc.tok.weight'] = full
    model = Multitask(n); model.load_state_dict(sd); model.eval()
    for l in model.enc.layers: l.manual = True  # plain MatMul/Softmax graph (no SDPA op) for onnxruntime
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0]]); mask = torch.tensor([[1, 1, 1, 1, 0, 0]])
    torch.onnx.export(model, (ids, mask), a.out, input_names=['input_ids', 'attention_mask'], output_names=['sentiment', 'topic', 'tags'],
                      dynamic_axes={'input_ids': {0: 'batch', 1: 'seq'}, 'attention_mask': {0: 'batch', 1: 'seq'},
                                    'sentiment': {0: 'batch'}, 'topic': {0: 'batch'}, 'tags': {0: 'batch', 1: 'seq'}}, opset_version=14)
    print('wrote', a.out, os.path.getsize(a.out) // 2 ** 20, 'MiB')


if __name__ == '__main__':
    main()
