#!/usr/bin/python3
"""PyTorch eager peer: the VSCNet stage-2 training step, layer for layer as CausalVision's
(`CausalVision.Compare vscnet-step`, benchmarks/CausalVision.Compare/VscNetStepCase.cs).

Mirrored (same layers, shapes, initialisation, state-dict names, computation order):
- backbone: ResNet-18 with the small-input stem (3x3 conv1 stride 1, no max-pool), F_v = mean of the
  last map, frozen (requires_grad False, eval mode: BatchNorm running statistics) as
  VscTrainingOptions.FreezeBackboneInStage2; the visual classifier on F_v is computed and frozen too.
- CSNet (eq. 1-2, CausalVision.Vscnet.Fva.CascadedSpatialNet): J steps of theta = fc_loc([F_v; h]),
  affine_grid + bilinear grid_sample of the map, average pooling, GRUCell, tag head on the hidden
  states; frozen (requires_grad False, eval mode).
- HAR: hidden states min-max scaled with the hierarchy's feature range, complement coded, fuzzy
  Jaccard similarity to the prototypes, best prototype among the top-5 candidate tags
  (similarity x tag probability), tag refinement (eq. 7, alpha_f 0.1, per step, top-9 computed),
  per-step-winner class vote P_k over the top-5 tags of each step.
- graph G_h (eq. 8-9, CausalVision.Graph.Hetero.VseGraphBuilder): the same host-side loops that
  decide the structure (top-9 tag nodes, top-5 tags per region, distinct matched prototypes),
  region-tag edges weighted by t_f, region-prototype edges by the match similarity (both
  differentiable through index_add), tag-tag / region-region edges 0.2, prototype-tag edges by the
  prototype's tag share; node features W_r r, the tag embedding, W_p p (zero on padding).
- CIM (eq. 10-13, CausalVision.Graph.Cim.CimModule): mask encoder (masked BatchNorm -> GCN ->
  ReLU), CAL node and edge masks, causal / trivial GCN encoders with sum readout, linear heads f_c,
  f_n, f_m, "add" intervention F_m = F_c + F_n[perm] with a uniformly random cyclic permutation
  in training (identity in evaluation).
- fusion (eq. 14): P_e = phi(W_c F_c + W_v F_v), P_f = (softmax(P_e) + P_k) / 2.
- loss (eq. 16): cross_entropy(P_e, y) + alpha_gf (KL(f_n || U) + L2(f_c, y) + L2(f_m, y)), alpha_gf 1.
- optimiser: Adam(lr 5e-4, weight_decay 1e-3) over exactly the parameters with requires_grad.
- the exemplar hierarchy (fixed sizes) is read from the raw little-endian float32 files and
  hierarchy.json that the .NET side writes under --work: run the .NET case once first with the
  same --work (and the same sizes).

Not mirrored / approximations:
- the .NET side validates its inputs at every public entry point (finite checks, id ranges,
  symmetric adjacency...): several small reductions with a host sync per step that this script does
  not do (they are part of the library's cost, not of the model).
- Gcn's sparse propagation path (taken only when fewer than 1% of the adjacency entries are
  non-zero) is not ported; the density test is done as in .NET and the script stops if it would
  pick the sparse path (it never does at these sizes: the graphs are small and dense).
- the random permutation of the intervention comes from each side's own generator (the check
  feeds the .NET permutation in).

Numeric check (state dict, input batch and reference outputs written by the .NET side):
  eng/torch-env.sh dotnet artifacts/bin/CausalVision.Compare/release/CausalVision.Compare.dll vscnet-step \
      --steps 0 --warmup 0 --threads 1 --work artifacts/compare/vscnet --export-weights artifacts/compare/vscnet-check
  /usr/bin/python3 benchmarks/peers/vscnet_stage2_step.py --check artifacts/compare/vscnet-check --threads 1
It asserts: equal sorted (name, shape, requires_grad) parameter lists (hence equal counts) and a
strict state-dict load; eval-mode logits, probabilities, refined tag probabilities, matched
prototypes (exactly), match similarities, P_k, the adjacency and both masks (1e-3 absolute); one
train-mode forward with the .NET permutation: logits and every loss term (1e-3); the gradients of
all trainable parameters (max |diff| <= 1e-2 x the tensor's max |grad|: a ReLU pre-activation within
~1e-6 of zero may fall on the other side of the kink, which moves that channel's gradient by a few
1e-3 relative; the last measured worst case was 6.4e-3, in the causal encoder, every other tensor
agreed to ~1e-6); the parameters after that Adam step (each within 2 lr: Adam's first step is
+-lr per entry, so an entry whose total gradient is ~0 can flip; at most 1% of entries may differ
by more than 1e-5, measured 551 of 842,668); and the eval-mode logits after the step (1e-3;
measured 7.6e-4, from those flips). The .NET export redraws CSNet's zero-initialised theta weight
(std 0.1) first, so that the J regions differ. With this synthetic hierarchy the top-k choices of
the class vote and of the candidate tags happen not to change any output (checked by mutation);
every other mutation tried (edge weights, alpha_f, intervention, KL) fails the check.

Machine note: Debian's python3-torch is built with BLAS_INFO=generic and runs on whatever
libblas.so.3 the alternatives point to (netlib reference BLAS unless e.g. libopenblas0 is
installed): its Linear / GRU matmuls are then far slower than TorchSharp's bundled libtorch.

Prints one JSON line: per-step wall times after warm-up, "params" (trainable stage-2 parameters)
and "total_params".
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


# ----------------------------------------------------------------------------- backbone
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        idt = x if self.downsample is None else self.downsample(x)
        return F.relu(y + idt)


class ResNet18SmallStem(nn.Module):
    """CausalVision.Backbones.ResNet.ResNet18 with SmallInputStem, no fc (NumClasses 0)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for i, cout in enumerate([64, 128, 256, 512]):
            stride = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x.mean([2, 3]), x


# ----------------------------------------------------------------------------- CSNet (eq. 1-2)
class CascadedSpatialNet(nn.Module):
    def __init__(self, d, tags, steps, theta_width=128, slope=0.01, scale=0.5, std=0.01):
        super().__init__()
        self.steps, self.hidden = steps, d
        self.gru = nn.GRUCell(d, d)
        self.fc_loc = nn.Sequential(nn.Linear(2 * d, theta_width), nn.LeakyReLU(slope), nn.Linear(theta_width, 6))
        self.word_classifier = nn.Linear(d, tags)
        with torch.no_grad():
            nn.init.normal_(self.fc_loc[0].weight, 0, std)
            nn.init.zeros_(self.fc_loc[2].weight)
            self.fc_loc[2].bias.copy_(torch.tensor([scale, 0, 0, 0, scale, 0], dtype=torch.float32))
            nn.init.normal_(self.word_classifier.weight, 0, std)

    def forward(self, fv, fmap):
        b = fmap.shape[0]
        hidden = torch.zeros(b, self.hidden, dtype=fv.dtype)
        thetas, regions, hiddens = [], [], []
        for _ in range(self.steps):
            theta = self.fc_loc(torch.cat([fv, hidden], 1)).view(b, 2, 3)
            grid = F.affine_grid(theta, list(fmap.shape), align_corners=False)
            sampled = F.grid_sample(fmap, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
            region = sampled.mean([2, 3])
            hidden = self.gru(region, hidden)
            thetas.append(theta)
            regions.append(region)
            hiddens.append(hidden)
        hidden_all = torch.stack(hiddens, 1)
        return torch.stack(thetas, 1), torch.stack(regions, 1), hidden_all, self.word_classifier(hidden_all)


# ----------------------------------------------------------------------------- HAR (eq. 5-7, 14)
class Hierarchy:
    def __init__(self, work):
        path = os.path.join(work, "hierarchy.json")
        if not os.path.exists(path):
            raise SystemExit(f"vscnet_stage2_step: {path} is missing: run the .NET case (vscnet-step) once with --work {work} first.")
        meta = json.load(open(path))

        def load(name):
            a = np.fromfile(os.path.join(work, name + ".f32"), dtype="<f4")
            # torch.tensor follows the default device (the card under --device cuda); from_numpy would not.
            return torch.tensor(a.reshape(meta[name]))

        self.prototypes = load("prototypes")
        self.tag_distribution = load("tag_distribution")
        self.class_distribution = load("class_distribution")
        self.feature_min = load("feature_min")
        self.feature_max = load("feature_max")
        self.prototype_tags = list(meta["prototype_tags"])
        self.prototype_tag_ids = torch.tensor(self.prototype_tags, dtype=torch.int64)

    def project(self, x):
        rng = self.feature_max - self.feature_min
        safe = torch.where(rng > 0, rng, torch.ones_like(rng))
        scaled = ((x - self.feature_min) / safe).clamp(0.0, 1.0)
        scaled = torch.where(rng > 0, scaled, torch.zeros_like(scaled))
        return torch.cat([scaled, 1.0 - scaled], -1)


def fuzzy_jaccard(queries, prototypes):
    lead = list(queries.shape[:-1])
    f, p = prototypes.shape[1], prototypes.shape[0]
    q = queries.reshape(-1, f)
    m = q.shape[0]
    q_norm = q.sum(1, keepdim=True)
    p_norm = prototypes.sum(1).unsqueeze(0)
    chunk = max(1, (1 << 24) // max(1, p * f))
    parts = [torch.minimum(q[s:s + chunk].unsqueeze(1), prototypes.unsqueeze(0)).sum(2) for s in range(0, m, chunk)]
    inter = parts[0] if len(parts) == 1 else torch.cat(parts, 0)
    union = q_norm + p_norm - inter
    sim = torch.where(union > 0, inter / torch.where(union > 0, union, torch.ones_like(union)), torch.zeros_like(inter))
    return sim.reshape(lead + [p])


def best_by_tag(similarity, candidates, proto_tags):
    mask = candidates.unsqueeze(-1) == proto_tags
    has = mask.any(-1, keepdim=True)
    allowed = mask | has.logical_not()
    sims = similarity.unsqueeze(-2).expand(mask.shape)
    masked = torch.where(allowed, sims, torch.full_like(sims, float("-inf")))
    score, index = masked.max(-1)
    _fell = has.squeeze(-1).logical_not()
    return index, score


def refine(tag_logits, reference, alpha=0.1, top_k=9):
    refined = F.softmax(tag_logits, -1) * (1.0 - alpha) + F.softmax(reference, -1) * alpha
    k = min(top_k, refined.shape[-1])
    refined.topk(k, dim=-1, largest=True, sorted=True)  # computed (and unused) as TagRefinement does
    return refined


def class_vote(similarity, tag_probs, proto_tag_ids, proto_classes, top_tags=5):
    b, j, p = similarity.shape
    probs = tag_probs
    if 0 < top_tags < probs.shape[2]:
        top = probs.topk(top_tags, dim=-1).indices
        keep = torch.zeros_like(probs).scatter_(-1, top, torch.ones_like(top, dtype=probs.dtype))
        probs = probs * keep
    weights = similarity.clamp_min(0) * probs.index_select(2, proto_tag_ids)
    best, index = weights.max(2)
    chosen = proto_classes.index_select(0, index.reshape(-1)).reshape(b, j, proto_classes.shape[1])
    vote = (chosen * best.unsqueeze(2)).sum(1)
    total = vote.sum(1, keepdim=True)
    uniform = torch.full_like(vote, 1.0 / vote.shape[1])
    return torch.where(total.gt(0), vote / total.clamp_min(1e-30), uniform)


# ----------------------------------------------------------------------------- graph (eq. 8-9)
def build_graph(rf, tf, te, pf, matched, msim, tdist, top_tags=9, region_top=5, tag_tag=0.2, region_region=0.2):
    b, j, d = rf.shape
    t = tf.shape[2]
    k, r = min(top_tags, t), min(region_top, t)
    tag_ids = tf.detach().amax(1).topk(k, dim=1).indices
    region_topk = tf.detach().topk(r, dim=2).indices
    tag_host, rtop_host, match_host = tag_ids.tolist(), region_topk.tolist(), matched.tolist()
    dist_host = tdist.detach().float().cpu().numpy()
    proto_nodes, region_proto = [], []
    for bi in range(b):
        nodes, rp = [], []
        for ji in range(j):
            pid = match_host[bi][ji]
            if pid < 0:
                rp.append(-1)
                continue
            if pid not in nodes:
                nodes.append(pid)
            rp.append(nodes.index(pid))
        proto_nodes.append(nodes)
        region_proto.append(rp)
    pmax = max(len(x) for x in proto_nodes)
    n = j + k + pmax
    const = np.zeros((b, n, n), dtype=np.float32)
    rt_index, rt_source, rp_index, rp_source = [], [], [], []

    def put(bi, u, v, w):
        const[bi, u, v] = w
        const[bi, v, u] = w

    for bi in range(b):
        tag_node = {tag_host[bi][ki]: ki for ki in range(k)}
        predicted = []
        for ji in range(j):
            pred = []
            for ri in range(r):
                tag = rtop_host[bi][ji][ri]
                ki = tag_node.get(tag)
                if ki is None:
                    continue
                pred.append(ki)
                u, v = ji, j + ki
                rt_index += [bi * n * n + u * n + v, bi * n * n + v * n + u]
                src = (bi * j + ji) * t + tag
                rt_source += [src, src]
            for k1 in pred:
                for k2 in pred:
                    if k1 < k2:
                        put(bi, j + k1, j + k2, tag_tag)
            predicted.append(pred)
        for j1 in range(j):
            for j2 in range(j1 + 1, j):
                if set(predicted[j1]) & set(predicted[j2]):
                    put(bi, j1, j2, region_region)
        for ji in range(j):
            u = region_proto[bi][ji]
            if u < 0:
                continue
            pu = j + k + u
            rp_index += [bi * n * n + ji * n + pu, bi * n * n + pu * n + ji]
            rp_source += [bi * j + ji, bi * j + ji]
        for u, proto in enumerate(proto_nodes[bi]):
            for ki in range(k):
                share = float(dist_host[proto, tag_host[bi][ki]])
                if share > 0:
                    put(bi, j + k + u, j + ki, 1.0 * share)
    adj = torch.from_numpy(const.reshape(-1)).to(rf.device, rf.dtype)
    if rt_index:
        values = tf.reshape(-1).index_select(0, torch.tensor(rt_source)) * 1.0
        adj = adj.index_add(0, torch.tensor(rt_index), values)
    if rp_index:
        values = msim.reshape(-1).index_select(0, torch.tensor(rp_source)) * 1.0
        adj = adj.index_add(0, torch.tensor(rp_index), values)
    adj = adj.reshape(b, n, n)
    parts = [rf, te.index_select(0, tag_ids.reshape(-1)).reshape(b, k, d)]
    proto_ids = torch.full((b, pmax), -1, dtype=torch.int64)
    for bi in range(b):
        for u, proto in enumerate(proto_nodes[bi]):
            proto_ids[bi, u] = proto
    if pmax > 0:
        valid = proto_ids.ge(0)
        gathered = pf.index_select(0, proto_ids.clamp_min(0).reshape(-1)).reshape(b, pmax, d)
        parts.append(gathered * valid.unsqueeze(2).to(rf.dtype))
    x = torch.cat(parts, 1)
    mask = torch.tensor([[u < j + k or u - j - k < len(proto_nodes[bi]) for u in range(n)] for bi in range(b)])
    return x, adj, mask


# ----------------------------------------------------------------------------- GCN / CIM (eq. 10-13)
def propagate(x, adj, mask, self_loop=1.0, sparse_threshold=0.01):
    real = mask.to(adj.dtype)
    a = adj * (real.unsqueeze(2) * real.unsqueeze(1))
    degree = a.sum(2) + self_loop * real
    positive = degree.gt(0)
    dinv = torch.where(positive, torch.where(positive, degree, torch.ones_like(degree)).rsqrt(), torch.zeros_like(degree))
    if a.count_nonzero().item() < sparse_threshold * a.numel():
        raise SystemExit("vscnet_stage2_step: the graph is sparse enough for Gcn's sparse path, which is not ported.")
    neighbours = torch.bmm(dinv.unsqueeze(2) * a * dinv.unsqueeze(1), x)
    return neighbours + (self_loop * dinv.square() * real).unsqueeze(2) * x


class GcnConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.lin = nn.Linear(cin, cout, bias=False)
        self.bias = nn.Parameter(torch.zeros(cout))
        nn.init.xavier_uniform_(self.lin.weight)

    def forward(self, x, adj, mask):
        h = propagate(self.lin(x), adj, mask) + self.bias
        return h * mask.unsqueeze(2).to(h.dtype)


class GcnEncoder(nn.Module):
    """BatchNorm over the real nodes -> GcnConv -> ReLU (per layer), sum readout."""

    def __init__(self, cin, hidden, layers=1):
        super().__init__()
        self.norms, self.convs = nn.ModuleList(), nn.ModuleList()
        width = cin
        for _ in range(layers):
            bn = nn.BatchNorm1d(width)
            with torch.no_grad():
                bn.weight.fill_(1.0)
                bn.bias.fill_(1e-4)
            self.norms.append(bn)
            self.convs.append(GcnConv(width, hidden))
            width = hidden

    def encode_nodes(self, x, adj, mask):
        h = x
        for norm, conv in zip(self.norms, self.convs):
            flat = h.reshape(-1, h.shape[2])
            index = mask.reshape(-1).nonzero().squeeze(1)
            h = torch.zeros_like(flat).index_copy(0, index, norm(flat.index_select(0, index))).reshape(h.shape)
            h = F.relu(conv(h, adj, mask))
        return h

    def forward(self, x, adj, mask):
        nodes = self.encode_nodes(x, adj, mask)
        return (nodes * mask.unsqueeze(2).to(nodes.dtype)).sum(1)


class NodeMask(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.lin = nn.Linear(h, 2)

    def forward(self, x, mask):
        return self.lin(x).softmax(-1) * mask.unsqueeze(2).to(x.dtype)


class EdgeMask(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.h = h
        self.lin = nn.Linear(2 * h, 2)

    def forward(self, x, mask):
        w = self.lin.weight
        receiver = F.linear(x, w[:, :self.h])
        sender = F.linear(x, w[:, self.h:])
        m = (receiver.unsqueeze(2) + sender.unsqueeze(1) + self.lin.bias).softmax(-1)
        real = mask.to(m.dtype)
        return m * (real.unsqueeze(2) * real.unsqueeze(1)).unsqueeze(3)


class CausalGraphSplit(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.node_mask = NodeMask(h)
        self.edge_mask = EdgeMask(h)

    def forward(self, x, adj, mask, h):
        node_mask = self.node_mask(h, mask)
        edge_mask = self.edge_mask(h, mask)
        mx = node_mask[:, :, 1].unsqueeze(2)
        ma = edge_mask[:, :, :, 1]
        real = mask.to(x.dtype)
        pairs = real.unsqueeze(2) * real.unsqueeze(1)
        return x * mx, adj * ma, x * (real.unsqueeze(2) - mx), adj * (pairs - ma), node_mask, edge_mask


class CimModule(nn.Module):
    def __init__(self, w, hidden, classes):
        super().__init__()
        self.mask_encoder = GcnEncoder(w, hidden)
        self.split = CausalGraphSplit(hidden)
        self.causal_encoder = GcnEncoder(w, hidden)
        self.trivial_encoder = GcnEncoder(w, hidden)
        self.causal_head = nn.Linear(hidden, classes)
        self.trivial_head = nn.Linear(hidden, classes)
        self.intervention_head = nn.Linear(hidden, classes)

    def forward(self, x, adj, mask, permutation=None):
        h = self.mask_encoder.encode_nodes(x, adj, mask)
        cx, ca, nx, na, node_mask, edge_mask = self.split(x, adj, mask, h)
        fc = self.causal_encoder(cx, ca, mask)
        fn = self.trivial_encoder(nx, na, mask)
        zc, zn = self.causal_head(fc), self.trivial_head(fn)
        b = fc.shape[0]
        if permutation is not None:
            perm = permutation.clone()
        elif self.training:
            p = torch.randperm(b)  # uniformly random cyclic permutation: nobody is paired with itself
            perm = torch.zeros_like(p).scatter_(0, p, p.roll(-1, 0)) if b > 1 else p
        else:
            perm = torch.arange(b)
        fm = fc + fn.index_select(0, perm)
        return fc, zc, zn, self.intervention_head(fm), perm, node_mask, edge_mask


class MultiViewFusion(nn.Module):
    def __init__(self, causal, visual, fused, classes):
        super().__init__()
        self.causal_proj = nn.Linear(causal, fused)
        self.visual_proj = nn.Linear(visual, fused)
        self.classifier = nn.Linear(fused, classes)

    def forward(self, fc, fv, knowledge):
        pe = self.classifier(self.causal_proj(fc) * 1.0 + self.visual_proj(fv) * 1.0)
        return pe, F.softmax(pe, 1) * 1.0 + knowledge * 1.0


# ----------------------------------------------------------------------------- VSCNet
class VscNet(nn.Module):
    def __init__(self, tags, classes, regions, hierarchy, w=256, hidden=128, fused=512):
        super().__init__()
        d = 512
        self.backbone = ResNet18SmallStem()
        self.classifier = nn.Linear(d, classes)
        self.csnet = CascadedSpatialNet(d, tags, regions)
        self.tag_embedding = nn.Embedding(tags, w)
        self.region_proj = nn.Linear(d, w)
        self.prototype_proj = nn.Linear(2 * d, w)
        self.cim = CimModule(w, hidden, classes)
        self.fusion = MultiViewFusion(hidden, d, fused, classes)
        self.h = hierarchy
        self.tags, self.regions = tags, regions
        # Stage 2: CSNet, backbone and visual classifier frozen.
        for m in (self.backbone, self.classifier, self.csnet):
            for p in m.parameters():
                p.requires_grad_(False)

    def train(self, mode=True):
        super().train(mode)
        if mode:
            self.csnet.eval()
            self.backbone.eval()
            self.classifier.eval()
        return self

    def forward(self, images, permutation=None):
        fv, fmap = self.backbone(images)
        _visual_logits = self.classifier(fv)
        _, regions, hiddens, tag_logits = self.csnet(fv, fmap)
        b, j = fv.shape[0], self.regions
        tag_probs = tag_logits.softmax(-1)
        h = self.h
        similarity = fuzzy_jaccard(h.project(hiddens), h.prototypes)
        candidates = tag_logits.detach().topk(min(5, self.tags), dim=2).indices
        m_index, m_score = best_by_tag(similarity, candidates, h.prototype_tag_ids)
        cand_probs = tag_probs.gather(2, candidates)
        best = (m_score.clamp_min(0) * cand_probs).argmax(2, keepdim=True)
        matched = m_index.gather(2, best).squeeze(2)
        match_sim = m_score.gather(2, best).squeeze(2)
        tr = h.tag_distribution.index_select(0, matched.reshape(-1)).reshape(b, j, self.tags)
        tag_probs = refine(tag_logits, tr)
        knowledge = class_vote(similarity, tag_probs, h.prototype_tag_ids, h.class_distribution)
        x, adj, mask = build_graph(self.region_proj(regions), tag_probs, self.tag_embedding.weight,
                                   self.prototype_proj(h.prototypes), matched, match_sim.clamp_min(0), h.tag_distribution)
        fc, zc, zn, zm, perm, node_mask, edge_mask = self.cim(x, adj, mask, permutation)
        pe, pf = self.fusion(fc, fv, knowledge)
        return {"logits": pe, "probs": pf / 2.0, "causal": zc, "trivial": zn, "intervention": zm, "perm": perm,
                "tag_probs": tag_probs, "matched": matched, "match_sim": match_sim, "knowledge": knowledge,
                "adjacency": adj, "node_mask": node_mask, "edge_mask": edge_mask}


def stage2_loss(out, y, alpha_gf=1.0):
    cls = F.cross_entropy(out["logits"], y)
    zn = out["trivial"]
    logp = F.log_softmax(zn, 1)
    kl = (logp.exp() * (logp + math.log(zn.shape[1]))).sum(1).mean()

    def l2(z):
        return (z.softmax(1) - F.one_hot(y, z.shape[1]).to(z.dtype)).square().sum(1).mean()

    causal, intervened = l2(out["causal"]), l2(out["intervention"])
    gf = kl * 1.0 + causal * 1.0 + intervened * 1.0
    return cls + gf * alpha_gf, {"cls": cls, "gf": gf, "kl": kl, "causal": causal, "intervened": intervened}


def make_optimizer(model, a):
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=a.lr, weight_decay=a.weight_decay)


# ----------------------------------------------------------------------------- numeric check
def check(a):
    d = a.check
    hierarchy = Hierarchy(d)
    meta = json.load(open(os.path.join(d, "hierarchy.json")))
    tags, classes = meta["tag_distribution"][1], meta["class_distribution"][1]
    outputs = json.load(open(os.path.join(d, "outputs.json")))

    def load(entry, dtype="<f4"):
        return torch.from_numpy(np.fromfile(os.path.join(d, entry["file"]), dtype=dtype).reshape(entry["shape"]).copy())

    x = load(outputs["x"])
    model = VscNet(tags, classes, a.regions, hierarchy)
    ours = sorted((n, list(p.shape), p.requires_grad) for n, p in model.named_parameters())
    theirs = sorted((p["name"], p["shape"], p["requires_grad"]) for p in json.load(open(os.path.join(d, "params.json"))))
    assert ours == theirs, "parameter lists differ:\n" + "\n".join(f"{o} | {t}" for o, t in zip(ours, theirs) if o != t)
    state = {}
    for e in json.load(open(os.path.join(d, "index.json"))):
        state[e["name"]] = load(e, "<i8" if e["dtype"] == "int64" else "<f4")
    model.load_state_dict(state, strict=True)
    y = load(outputs["y"], "<i8")
    perm = load(outputs["permutation"], "<i8")
    results = []

    def close(name, got, ref, tol=1e-3):
        err = (got - ref).abs().max().item() if torch.is_tensor(got) else abs(got - ref)
        results.append((name, err))
        print(f"check {name}: max |diff| = {err:.3g}", file=sys.stderr)
        assert err <= tol, f"{name} differs by {err} (> {tol})"

    model.eval()
    with torch.no_grad():
        o = model(x)
    close("logits_eval", o["logits"], load(outputs["logits_eval"]))
    close("probs_eval", o["probs"], load(outputs["probs_eval"]))
    assert torch.equal(o["matched"], load(outputs["matched_eval"], "<i8")), "matched prototypes differ"
    for key in ("tag_probs", "match_sim", "knowledge", "adjacency", "node_mask", "edge_mask"):
        close(key + "_eval", o[key], load(outputs[key + "_eval"]))
    opt = make_optimizer(model, a)
    model.train()
    opt.zero_grad()
    o = model(x, permutation=perm)
    loss, terms = stage2_loss(o, y)
    close("logits_train", o["logits"].detach(), load(outputs["logits_train"]))
    ref = outputs["loss"]
    close("loss_total", loss.item(), ref["total"])
    for k in ("cls", "gf", "kl", "causal", "intervened"):
        close("loss_" + k, terms[k].item(), ref[k])
    loss.backward()
    # Gradients: relative to each tensor's largest entry. A ReLU pre-activation within ~1e-6 of zero can take the
    # other side of the kink on one side (forward values agree to ~1e-6), which moves one channel's gradient by a
    # few 1e-3 relative; anything structural shows up as O(1).
    for name, entry in outputs["grads"].items():
        ref = load(entry)
        g = dict(model.named_parameters())[name].grad
        rel = ((g - ref).abs().max() / ref.abs().max().clamp_min(1e-12)).item()
        results.append(("grad_rel " + name, rel))
        assert rel <= 1e-2, f"gradient of {name} differs by {rel:.3g} relative (> 1e-2)"
    print(f"check gradients: max relative diff = {max(v for k, v in results if k.startswith('grad_rel')):.3g}", file=sys.stderr)
    opt.step()
    # Parameters after Adam's first step: the step is lr * g / (|g| + eps), +-lr for any gradient that is not tiny, so
    # an entry whose total gradient (with weight decay) is near zero can flip sign: at most 2 lr apart, and rare.
    named = dict(model.named_parameters())
    flipped, total = 0, 0
    for name, entry in outputs["params_after_step"].items():
        diff = (named[name].detach() - load(entry)).abs()
        assert diff.max().item() <= 2.02 * a.lr, f"{name} after the step differs by {diff.max().item()} (> 2 lr)"
        flipped += (diff > 1e-5).sum().item()
        total += diff.numel()
    results.append(("params_after_step_fraction_over_1e-5", flipped / total))
    print(f"check params after step: {flipped} of {total} entries differ by more than 1e-5 (Adam sign flips, <= 2 lr)", file=sys.stderr)
    assert flipped <= 0.01 * total, "more than 1% of the parameters differ after the step"
    model.eval()
    with torch.no_grad():
        o = model(x)
    close("logits_after_step", o["logits"], load(outputs["logits_after_step"]))
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    n_total = sum(p.numel() for p in model.parameters())
    print(json.dumps({"check": "passed", "params": n_train, "total_params": n_total,
                      "max_abs_diff": {k: v for k, v in results}}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--regions", type=int, default=4)
    p.add_argument("--tags", type=int, default=40)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--prototypes", type=int, default=64)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--weight-decay", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", default=os.path.join("artifacts", "compare", "vscnet"))
    p.add_argument("--check", default=None, help="directory written by the .NET side's --export-weights")
    peer_device.add_argument(p)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.check:
        check(a)
        return
    dev = peer_device.setup(a.device)
    torch.manual_seed(a.seed)
    hierarchy = Hierarchy(a.work)
    if list(hierarchy.prototypes.shape) != [a.prototypes, 1024] or hierarchy.tag_distribution.shape[1] != a.tags \
            or hierarchy.class_distribution.shape[1] != a.classes:
        raise SystemExit(f"vscnet_stage2_step: the hierarchy under {a.work} was written for other sizes; rerun the .NET case with these flags.")
    model = VscNet(a.tags, a.classes, a.regions, hierarchy).to(dev)
    model.train()
    opt = make_optimizer(model, a)
    torch.manual_seed(a.seed + 1)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch,))
    times = []
    for i in range(a.warmup + a.steps):
        peer_device.sync(dev)
        t0 = time.perf_counter()
        opt.zero_grad()
        loss, _ = stage2_loss(model(x), y)
        loss.backward()
        opt.step()
        float(loss)
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000.0)
    print(json.dumps({"impl": "pytorch " + torch.__version__, "metric": "step_ms", "values": times,
                      "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
                      "total_params": sum(p.numel() for p in model.parameters()),
                      "device": str(dev), **peer_device.memory_extras(dev)}))


if __name__ == "__main__":
    main()
