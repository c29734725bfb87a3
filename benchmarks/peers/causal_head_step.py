#!/usr/bin/python3
"""PyTorch eager peer: paper B's causal label head, one training step (CausalVision's `causal-head-step`).

Mirrored layer for layer from src/CausalVision.Core/CausalLabels (same module names, so the .NET state
dict loads with strict=True; same shapes; same init distributions: nn.Linear / nn.Embedding /
nn.LayerNorm defaults, group-wise W and b uniform in +-1/sqrt(d)):

    feature map [B, D, H, W] -> tokens [B, HW, D] (flatten(2).transpose(1, 2), as the ResNet backbone)
    decoder (LabelQueryDecoder): input_proj D->d, query_embed [L, d], `layers` post-norm decoder layers
        (self_attn, cross_attn, linear1/linear2 FFN with ReLU, norm1..3, dropout), final norm -> X [B, L, d]
    baseline (GroupWiseLinear): <W_j, x_j> + b_j -> [B, L]
    intervention (ConfounderIntervention): conf_proj D->d (no bias) of the centres, Z = LN(X + c) for all
        K confounders at once [B K, L, d], cross_attn(label queries, Z, Z) with the [1, L, d] query
        projection broadcast over B K, fc2 group-wise, sum over c weighted by P(c) -> [B, L]
    logits = baseline + causal (SumLogits); loss = BCE with logits (mean); AdamW lr 1e-3, wd 1e-4 over
    every head parameter (CausalLabelTrainer's stage 3 with FreezeDecoderInCausalStage = false); train
    mode (dropout 0.1 in the decoder layers and on the attention weights).

The confounder dictionary (centres [K, D], prior [K]) is read from --work (centres.f32, prior.f32,
dictionary.json, raw little-endian float32) as written by the .NET side, so both install the same one:
run the .NET case first (compare.py does, A before B).

Approximations / differences (none change the maths):
- Attention is written out as softmax(Q K^T / sqrt(d_h)) V with dropout on the weights: PyTorch 1.13 has
  no public scaled_dot_product_attention; TorchSharp 0.107 (libtorch 2.10) calls
  scaled_dot_product_attention, which may pick a fused CPU kernel. Same function, other kernel.
- The .NET head checks its input (shape, isfinite(tokens).all() -> one host sync per step); this
  script does not validate (a user's eager script would not).
- Dropout masks differ between the two (different generators); timings are in training mode, the
  numeric check in eval mode.

BLAS matters here: the head is GEMM-bound, and Debian's libtorch1.13 calls whatever libblas.so.3 the
alternatives system picks. With only libblas3 (the netlib reference BLAS; libtorch1.13 merely *Recommends*
libopenblas0) the GEMMs take ~95% of the step and it runs ~8x slower than with libopenblas0-pthread.
Measure the peer with OpenBLAS installed (check: `ldd .../torch/lib/libtorch_cpu.so | grep blas`).

Numeric check (eval mode, dropout off): the .NET side exports its state dict, a fixed input, its logits,
the BCE loss, six parameter gradients after one backward and those six parameters after one AdamW step
from these gradients; this script loads them and compares:

    eng/torch-env.sh dotnet artifacts/bin/CausalVision.Compare/release/CausalVision.Compare.dll \\
        causal-head-step --steps 1 --warmup 0 --threads 1 --export-weights /tmp/causal-head-check
    /usr/bin/python3 benchmarks/peers/causal_head_step.py --check /tmp/causal-head-check --threads 1

Logits (final, baseline and causal) and the loss must satisfy torch.allclose(rtol=1e-4, atol=1e-4),
i.e. |ours - torch| <= 1e-4 + 1e-4 |torch| elementwise; each gradient must be within 1e-4 of it
relative to its largest entry (max |g_ours - g_torch| <= 1e-4 max |g_torch|, plus 1e-7 absolute); the
AdamW step (torch's AdamW applied to the same weights with the .NET gradients) must give the .NET
updated weights within 1e-7 absolute (the step itself is about lr = 1e-3).
Exit status 0 = pass.

Timing (same flags as the .NET case):

    /usr/bin/python3 benchmarks/peers/causal_head_step.py --steps 20 --warmup 3 --threads 1
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import peer_device


class LabelAttention(nn.Module):
    """Multi-head attention, batch-first; a query batch dividing the key batch is broadcast."""

    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.dim, self.heads, self.dropout = dim, heads, dropout
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)

    def _split(self, x, b, n):
        return x.view(b, n, self.heads, self.dim // self.heads).transpose(1, 2)

    def forward(self, query, key, value):
        bq, lq, b, lk = query.shape[0], query.shape[1], key.shape[0], key.shape[1]
        q = self._split(self.q_proj(query), bq, lq)
        if bq != b:
            r = b // bq
            if bq == 1:
                q = q.expand(r, q.shape[1], q.shape[2], q.shape[3])
            else:
                q = q.unsqueeze(1).expand(bq, r, *q.shape[1:]).reshape(b, *q.shape[1:])
        k = self._split(self.k_proj(key), b, lk)
        v = self._split(self.v_proj(value), b, lk)
        w = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.dim // self.heads)
        w = F.dropout(w.softmax(-1), self.dropout, self.training)
        o = torch.matmul(w, v)
        return self.out_proj(o.transpose(1, 2).reshape(b, lq, self.dim))


class LabelDecoderLayer(nn.Module):
    """Post-norm decoder layer: t = LN(t + SA(t)); t = LN(t + CA(t, m)); t = LN(t + FFN(t))."""

    def __init__(self, dim, heads, ffn, dropout):
        super().__init__()
        self.self_attn = LabelAttention(dim, heads, dropout)
        self.cross_attn = LabelAttention(dim, heads, dropout)
        self.linear1 = nn.Linear(dim, ffn)
        self.linear2 = nn.Linear(ffn, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, target, memory):
        t = self.norm1(target + self.dropout(self.self_attn(target, target, target)))
        t = self.norm2(t + self.dropout(self.cross_attn(t, memory, memory)))
        ffn = self.linear2(self.dropout(F.relu(self.linear1(t))))
        return self.norm3(t + self.dropout(ffn))


class LabelQueryDecoder(nn.Module):
    def __init__(self, labels, input_dim, dim, heads, layers, ffn, dropout):
        super().__init__()
        self.labels, self.dim = labels, dim
        self.input_proj = nn.Linear(input_dim, dim)
        self.query_embed = nn.Embedding(labels, dim)
        self.layers = nn.ModuleList([LabelDecoderLayer(dim, heads, ffn, dropout) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, tokens):
        memory = self.input_proj(tokens)
        t = self.query_embed.weight.unsqueeze(0).expand(tokens.shape[0], self.labels, self.dim)
        for layer in self.layers:
            t = layer(t, memory)
        return self.norm(t)


class GroupWiseLinear(nn.Module):
    def __init__(self, labels, dim):
        super().__init__()
        self.W = nn.Parameter(torch.empty(1, labels, dim))
        self.b = nn.Parameter(torch.empty(1, labels))
        bound = 1.0 / math.sqrt(dim)
        with torch.no_grad():
            nn.init.uniform_(self.W, -bound, bound)
            nn.init.uniform_(self.b, -bound, bound)

    def forward(self, x):
        return (x * self.W).sum(-1) + self.b


class ConfounderIntervention(nn.Module):
    """s = sum_c P(c) fc2(CA(q, LN(X + P c), LN(X + P c))), all K confounders folded into the batch."""

    def __init__(self, labels, dim, heads, k, conf_dim, dropout):
        super().__init__()
        self.labels, self.dim, self.k = labels, dim, k
        self.cross_attn = LabelAttention(dim, heads, dropout)
        self.fc2 = GroupWiseLinear(labels, dim)
        self.conf_proj = None if conf_dim == dim else nn.Linear(conf_dim, dim, bias=False)
        self.memory_norm = nn.LayerNorm(dim)
        self.register_buffer("centres", torch.zeros(k, conf_dim))
        self.register_buffer("prior", torch.full((k,), 1.0 / k))

    def forward(self, x, queries):
        b = x.shape[0]
        c = self.centres if self.conf_proj is None else self.conf_proj(self.centres)
        z = x.unsqueeze(1) + c.view(1, self.k, 1, self.dim)
        memory = self.memory_norm(z).reshape(b * self.k, self.labels, self.dim)
        attended = self.cross_attn(queries.unsqueeze(0), memory, memory)
        per_conf = self.fc2(attended).view(b, self.k, self.labels)
        return (per_conf * self.prior.view(1, self.k, 1)).sum(1)


class CausalLabelHead(nn.Module):
    def __init__(self, labels, input_dim, dim, heads, layers, ffn, k, dropout=0.1):
        super().__init__()
        self.decoder = LabelQueryDecoder(labels, input_dim, dim, heads, layers, ffn, dropout)
        self.baseline = GroupWiseLinear(labels, dim)
        self.intervention = ConfounderIntervention(labels, dim, heads, k, input_dim, dropout)

    def forward_parts(self, tokens):
        x = self.decoder(tokens)
        base = self.baseline(x)
        causal = self.intervention(x, self.decoder.query_embed.weight)
        return base + causal, base, causal

    def forward(self, tokens):
        return self.forward_parts(tokens)[0]


def read_f32(path, shape):
    a = np.fromfile(path, dtype="<f4")
    if a.size != int(np.prod(shape)):
        raise SystemExit(f"causal_head_step: {path} holds {a.size} floats, expected {list(shape)}")
    return torch.from_numpy(a.reshape(shape).copy())


def load_dictionary(head, work):
    meta_path = os.path.join(work, "dictionary.json")
    if not os.path.exists(meta_path):
        raise SystemExit(f"causal_head_step: no confounder dictionary in '{work}'; run the .NET "
                         "causal-head-step case with the same --work first.")
    with open(meta_path) as f:
        meta = json.load(f)
    iv = head.intervention
    for name in ("centres", "prior"):
        shape = meta[name]["shape"]
        if list(getattr(iv, name).shape) != shape:
            raise SystemExit(f"causal_head_step: dictionary {name} is {shape}, the head needs "
                             f"{list(getattr(iv, name).shape)} (different --confounders/--channels?)")
        with torch.no_grad():
            getattr(iv, name).copy_(read_f32(os.path.join(work, meta[name]["file"]), shape))


def build(cfg):
    return CausalLabelHead(cfg["labels"], cfg["channels"], cfg["model_dim"], cfg["heads"], cfg["layers"],
                           cfg["ffn"], cfg["confounders"])


def check(d):
    with open(os.path.join(d, "index.json")) as f:
        idx = json.load(f)
    head = build(idx["config"])
    state = {t["name"]: read_f32(os.path.join(d, t["file"]), t["shape"]) for t in idx["tensors"]}
    head.load_state_dict(state, strict=True)
    params = sum(p.numel() for p in head.parameters())
    x = read_f32(os.path.join(d, idx["input"]["file"]), idx["input"]["shape"])
    y = read_f32(os.path.join(d, idx["targets"]["file"]), idx["targets"]["shape"])
    head.eval()
    logits, base, causal = head.forward_parts(x.flatten(2).transpose(1, 2))
    loss = F.binary_cross_entropy_with_logits(logits, y)
    loss.backward()
    ok = params == idx["params"]
    print(f"params: torch {params}, ours {idx['params']} {'OK' if ok else 'MISMATCH'}")
    shape = idx["logits"]["shape"]
    for name, t in (("logits", logits), ("baseline_logits", base), ("causal_logits", causal)):
        ref = read_f32(os.path.join(d, name + ".f32"), shape)
        good = torch.allclose(ref, t.detach(), rtol=1e-4, atol=1e-4)
        ok &= good
        print(f"{name}: max |diff| {(ref - t).abs().max().item():.3e} (max |value| {t.abs().max().item():.3f}) "
              f"{'OK' if good else 'FAIL'} (rtol 1e-4, atol 1e-4)")
    ref_loss = torch.tensor(idx["loss"])
    good = torch.allclose(ref_loss, loss.detach(), rtol=1e-4, atol=1e-4)
    ok &= good
    print(f"loss: ours {idx['loss']:.8f}, torch {loss.item():.8f} {'OK' if good else 'FAIL'}")
    named = dict(head.named_parameters())
    for g in idx["grads"]:
        p = named[g["name"]]
        ref = read_f32(os.path.join(d, g["file"]), list(p.shape))
        diff = (ref - p.grad).abs().max().item()
        scale = p.grad.abs().max().item()
        good = diff <= 1e-4 * scale + 1e-7
        ok &= good
        print(f"grad {g['name']}: max |diff| {diff:.3e}, max |g| {scale:.3e}, rel {diff / max(scale, 1e-30):.2e} "
              f"{'OK' if good else 'FAIL'}")
    step = idx.get("after_adamw_step")
    if step:
        # The optimiser alone: torch's AdamW from the same weights and the .NET side's own gradients must
        # give the .NET side's updated weights. (From torch's gradients the first Adam step amplifies the
        # ~1e-9 gradient differences where |g| is near eps = 1e-8, up to a few e-6; printed, not asserted.)
        grads = {g["name"]: g["file"] for g in idx["grads"]}
        opt = torch.optim.AdamW(head.parameters(), lr=step["lr"], weight_decay=step["weight_decay"])
        before = {n: p.detach().clone() for n, p in named.items()}
        opt.step()
        for t in step["tensors"]:
            ref = read_f32(os.path.join(d, t["file"]), list(named[t["name"]].shape))
            chain = (ref - named[t["name"]].detach()).abs().max().item()
            w = before[t["name"]].clone().requires_grad_(True)
            w.grad = read_f32(os.path.join(d, grads[t["name"]]), list(w.shape))
            torch.optim.AdamW([w], lr=step["lr"], weight_decay=step["weight_decay"]).step()
            diff = (ref - w.detach()).abs().max().item()
            good = diff <= 1e-7
            ok &= good
            print(f"AdamW step {t['name']}: same gradients max |diff| {diff:.3e} {'OK' if good else 'FAIL'} (atol 1e-7); "
                  f"from torch's own gradients {chain:.3e} (info)")
    print("CHECK " + ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--channels", type=int, default=2048, help="backbone feature dimension D (ResNet-50: 2048)")
    p.add_argument("--size", type=int, default=7, help="feature map side H = W (ResNet-50 at 224 px: 7)")
    p.add_argument("--labels", type=int, default=20, help="labels L (PASCAL VOC: 20)")
    p.add_argument("--confounders", type=int, default=80, help="K")
    p.add_argument("--model-dim", type=int, default=256)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--ffn", type=int, default=1024)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--work", default=os.path.join("artifacts", "compare", "causal-head"),
                   help="folder holding the .NET side's dictionary (centres.f32, prior.f32, dictionary.json)")
    p.add_argument("--check", default=None, help="compare with a .NET --export-weights folder and exit")
    peer_device.add_argument(p)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.check:
        return check(a.check)
    dev = peer_device.setup(a.device)
    torch.manual_seed(0)
    cfg = {"labels": a.labels, "channels": a.channels, "model_dim": a.model_dim, "heads": a.heads,
           "layers": a.layers, "ffn": a.ffn, "confounders": a.confounders}
    head = build(cfg)
    load_dictionary(head, a.work)
    head.to(dev).train()
    opt = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(7)
    fmap = torch.randn(a.batch, a.channels, a.size, a.size, generator=gen, device="cpu").relu_().to(dev)
    y = (torch.rand(a.batch, a.labels, generator=gen, device="cpu") < 0.3).float().to(dev)
    times = []
    for i in range(a.warmup + a.steps):
        peer_device.sync(dev)
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(head(fmap.flatten(2).transpose(1, 2)), y)
        loss.backward()
        opt.step()
        float(loss)
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000.0)
    print(json.dumps({"impl": "pytorch " + torch.__version__ + " (eager mirror)", "metric": "step_ms", "values": times,
                      "params": sum(p.numel() for p in head.parameters()),
                      "config": f"B{a.batch} D{a.channels} {a.size}x{a.size} L{a.labels} K{a.confounders} "
                                f"d{a.model_dim} h{a.heads} layers{a.layers} ffn{a.ffn}",
                      "device": str(dev), **peer_device.memory_extras(dev)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
