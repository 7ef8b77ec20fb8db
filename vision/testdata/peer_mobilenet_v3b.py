#!/usr/bin/env python3
"""PyTorch CPU peer for microstim's model v3 candidate B (recipe v3b): forward and training throughput.

Usage: python3 peer_mobilenet_v3b.py [--input 128] [--it-channels 256] [--classes 100] [--batch 64]
                                     [--threads 2] [--json]

The network is MobileNet v2's stem and blocks 1-13 (width 1.0, Sandler et al. 2018; BatchNorm folded away as
in an inference graph; ReLU6; depthwise 3x3; residual sums), frozen, then an IT trained from scratch: conv
3x3 96 -> C + ReLU on the stride-16 map (8 x 8 at 128 px), an unshared layer (one C x C matrix and bias per
position) + ReLU, and heads on the flattened IT: categorisation, gender (2), face (2). The shapes follow
../shared/bench/peer_mobilenet.py, which puts IT on block 17 and cannot stop the trunk at block 13.

(a) forward: the whole network on a batch of grayscale images, without gradients;
(b) training step: what microstim trains for v3b, IT and heads from the frozen trunk's cached stride-16 output
    (forward, summed cross-entropies, backward, Adam). Prints images/s, median of 3 rounds. No pretrained
    weights: speed only. Debian: apt-get install python3-torch.
"""
import argparse, json, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--input", type=int, default=128)
ap.add_argument("--it-channels", type=int, default=256)
ap.add_argument("--classes", type=int, default=100)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--json", action="store_true")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1)]  # blocks 1-13


class Block(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hid = cin * t
        layers = []
        if t != 1:
            layers += [nn.Conv2d(cin, hid, 1), nn.ReLU6()]
        layers += [nn.Conv2d(hid, hid, 3, stride, 1, groups=hid), nn.ReLU6(), nn.Conv2d(hid, cout, 1)]
        self.body = nn.Sequential(*layers)
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.res else y


class Trunk(nn.Module):
    def __init__(self):
        super().__init__()
        layers, cin = [nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU6()], 32
        for t, c, n, s in SETTINGS:
            for i in range(n):
                layers.append(Block(cin, c, s if i == 0 else 1, t))
                cin = c
        self.net = nn.Sequential(*layers)
        for p in self.parameters():
            p.requires_grad = False

    def forward(self, x):
        return self.net(x)


class IT(nn.Module):
    def __init__(self, side):
        super().__init__()
        c = a.it_channels
        self.pos = side * side
        self.conv = nn.Conv2d(96, c, 3, padding=1)
        self.lw = nn.Parameter(torch.randn(self.pos, c, c) / c ** 0.5)
        self.lb = nn.Parameter(torch.zeros(self.pos, 1, c))
        units = c * self.pos
        self.cls = nn.Linear(units, a.classes)
        self.gender = nn.Linear(units, 2)
        self.face = nn.Linear(units, 2)

    def forward(self, v4):
        x = F.relu(self.conv(v4))
        p = x.flatten(2).permute(2, 0, 1)
        x = F.relu(torch.baddbmm(self.lb, p, self.lw)).permute(1, 2, 0)
        it = x.flatten(1)
        return self.cls(it), self.gender(it), self.face(it)


side = a.input // 16
trunk, it = Trunk(), IT(side)
opt = torch.optim.Adam(it.parameters(), 1e-3)
x = torch.randn(a.batch, 1, a.input, a.input)
v4 = torch.randn(a.batch, 96, side, side)
y = torch.randint(0, a.classes, (a.batch,))
y2 = torch.randint(0, 2, (a.batch,))


def forward():
    trunk.eval()
    it.eval()
    with torch.no_grad():
        it(trunk(x))


def train_step():
    it.train()
    opt.zero_grad()
    c, g, f = it(v4)
    (F.cross_entropy(c, y) + F.cross_entropy(g, y2) + F.cross_entropy(f, y2)).backward()
    opt.step()


def rate(fn, n):
    for _ in range(2):
        fn()
    rounds = []
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append(a.batch * n / (time.perf_counter() - t))
    return statistics.median(rounds), rounds


fw, fwr = rate(forward, 5)
tr, trr = rate(train_step, 5)
out = {"peer": "pytorch-cpu-mobilenet-v2-v3b", "torch": torch.__version__, "threads": torch.get_num_threads(),
       "input": a.input, "it_channels": a.it_channels, "batch": a.batch,
       "forward_images_per_s": round(fw, 1), "train_images_per_s": round(tr, 1)}
print(json.dumps(out) if a.json else json.dumps(out, indent=1))
