#!/usr/bin/env python3
# t5-tiny's first decoder step evaluated in float64 (numpy; Debian: apt-get install python3-numpy), the
# evidence behind tests/tasks/t5_golden_tolerance.hpp: prints the top probabilities next to the
# golden's two fields. Not part of the test suite. usage: /usr/bin/python3 tests/tasks/t5_float64_first_step.py [FIXTURES]
import json, struct, math, numpy as np
import sys
d = (sys.argv[1] if len(sys.argv) > 1 else '../shared/fixtures') + '/t5-tiny/'
cfg = json.load(open(d + 'config.json'))
raw = open(d + 'model.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]; hdr = json.loads(raw[8:8+n]); base = 8 + n
W = {}
for k, v in hdr.items():
    if k == '__metadata__': continue
    b, e = v['data_offsets']
    W[k] = np.frombuffer(raw[base+b:base+e], dtype=np.float32).reshape(v['shape']).astype(np.float64)
H, dkv, eps = cfg['num_heads'], cfg['d_kv'], cfg['layer_norm_epsilon']
NB, MD = cfg['relative_attention_num_buckets'], cfg.get('relative_attention_max_distance', 128)
def norm(x, w): return w * (x / np.sqrt((x*x).mean(-1, keepdims=True) + eps))
def bucket(rel, bidir):
    nb = NB; ret = 0
    if bidir:
        nb //= 2; ret = (rel > 0) * nb; n = np.abs(rel)
    else:
        n = -np.minimum(rel, 0)
    me = nb // 2
    small = n < me
    with np.errstate(divide='ignore'):
        large = me + (np.log(np.maximum(n, 1) / me) / math.log(MD / me) * (nb - me)).astype(np.int64)
    large = np.minimum(large, nb - 1)
    return ret + np.where(small, n, large)
def bias(table, qlen, klen, bidir):
    rel = np.arange(klen)[None, :] - np.arange(qlen)[:, None]
    return table[bucket(rel, bidir)].transpose(2, 0, 1)  # H, q, k
def attn(x, kv, p, pb, causal=False):
    q = (x @ W[p+'q.weight'].T).reshape(len(x), H, dkv).transpose(1, 0, 2)
    k = (kv @ W[p+'k.weight'].T).reshape(len(kv), H, dkv).transpose(1, 0, 2)
    v = (kv @ W[p+'v.weight'].T).reshape(len(kv), H, dkv).transpose(1, 0, 2)
    s = q @ k.transpose(0, 2, 1) + pb
    if causal: s = s + np.triu(np.full((len(x), len(kv)), -1e300), 1)
    s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
    o = (s @ v).transpose(1, 0, 2).reshape(len(x), H * dkv)
    return o @ W[p+'o.weight'].T
def ff(x, p):
    return np.maximum(x @ W[p+'wi.weight'].T, 0) @ W[p+'wo.weight'].T
g = json.load(open(d + 'golden.json'))
for s in g['seq2seq']:
    ids = s['input_ids']
    h = W['shared.weight'][ids]
    pb = bias(W['encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'], len(ids), len(ids), True)
    for i in range(cfg['num_layers']):
        p = f'encoder.block.{i}.layer.'
        h = h + attn(norm(h, W[p+'0.layer_norm.weight']), norm(h, W[p+'0.layer_norm.weight']), p+'0.SelfAttention.', pb)
        h = h + ff(norm(h, W[p+'1.layer_norm.weight']), p+'1.DenseReluDense.')
    enc = norm(h, W['encoder.final_layer_norm.weight'])
    x = W['shared.weight'][[cfg['decoder_start_token_id']]]
    pb = bias(W['decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'], 1, 1, False)
    for i in range(cfg['num_decoder_layers']):
        p = f'decoder.block.{i}.layer.'
        nx = norm(x, W[p+'0.layer_norm.weight'])
        x = x + attn(nx, nx, p+'0.SelfAttention.', pb)
        x = x + attn(norm(x, W[p+'1.layer_norm.weight']), enc, p+'1.EncDecAttention.', 0.0)
        x = x + ff(norm(x, W[p+'2.layer_norm.weight']), p+'2.DenseReluDense.')
    x = norm(x, W['decoder.final_layer_norm.weight']) * (cfg['d_model'] ** -0.5)
    logits = (x @ W['shared.weight'].T)[0]
    lse = logits.max() + math.log(np.exp(logits - logits.max()).sum())
    lp = logits - lse
    top = np.argsort(-lp)[:3]
    print(s['text'][:30], 'float64:', [(int(t), round(math.exp(lp[t]), 8)) for t in top], 'logprob', round(lp[top[0]], 7),
          'golden top10', [round(t['prob'], 6) for t in s['first_step_top10'][:3]], 'golden step lp', s['greedy_step_logprobs'][0],
          'scores', s.get('first_step_scores', [])[:3], [round(float(v), 5) for v in logits[:3]])
