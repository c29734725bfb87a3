#!/usr/bin/python3
"""PyTorch eager peer: ResNet-18 classifier training step (same layers as CausalVision's ResNet-18).

torchvision is not assumed installed, so the network is spelled out here with torchvision's
layer layout (BasicBlock, [2, 2, 2, 2], 7x7 stem + max-pool, global average pool, fc).
Prints one JSON line: per-step wall times after warm-up.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import peer_device


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
        idt = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + idt)


class ResNet18(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, cin = [], 64
        for i, cout in enumerate([64, 128, 256, 512]):
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    peer_device.add_argument(p)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    dev = peer_device.setup(a.device)
    torch.manual_seed(0)
    model = ResNet18(a.classes).to(dev)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch,))
    times, fwd, bwd, upd, faults = [], [], [], [], []
    for i in range(a.warmup + a.steps):
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        peer_device.sync(dev)
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        peer_device.sync(dev)
        t1 = time.perf_counter()
        loss.backward()
        peer_device.sync(dev)
        t2 = time.perf_counter()
        opt.step()
        float(loss)
        if i >= a.warmup:
            t3 = time.perf_counter()
            times.append((t3 - t0) * 1000.0)
            fwd.append((t1 - t0) * 1000.0)
            bwd.append((t2 - t1) * 1000.0)
            upd.append((t3 - t2) * 1000.0)
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    print(json.dumps({"impl": "pytorch " + torch.__version__, "metric": "step_ms", "values": times,
                      "params": sum(p.numel() for p in model.parameters()),
                      "fwd_ms": statistics.median(fwd), "bwd_ms": statistics.median(bwd),
                      "opt_ms": statistics.median(upd), "faults_per_step": statistics.median(faults),
                      "device": str(dev), **peer_device.memory_extras(dev)}))


if __name__ == "__main__":
    main()
