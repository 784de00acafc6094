#!/usr/bin/env python3
"""Side-by-side figure: PyTorch's x86 INT8 path on the same ResNet50 architecture.

ResNet50 v1 as Paddle builds it (torchvision's bottleneck with each stage's stride on the first 1x1
conv), FX post-training quantization on the `onednn` engine, TorchScript frozen; median latency of
FP32 and INT8 at the given batch size and thread count. Needs Debian's python3-torch (1.13).

    python3 bench/pytorch_int8.py --threads 1 --batch 1 --repeat 100
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 1, stride=stride, bias=False)  # Paddle v1: stride here
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, width * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * 4)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet50(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        layers, cin = [], 64
        for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
            for i in range(blocks):
                s = stride if i == 0 else 1
                down = None
                if i == 0:
                    down = nn.Sequential(nn.Conv2d(cin, width * 4, 1, stride=s, bias=False), nn.BatchNorm2d(width * 4))
                layers.append(Bottleneck(cin, width, s, down))
                cin = width * 4
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


def time_model(model, x, warmup, repeat):
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--int8_only", action="store_true", help="skip the FP32 timing (slow in Debian's build)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    torch.backends.quantized.engine = "onednn"
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    model = ResNet50().eval()
    x = torch.randn(args.batch, 3, 224, 224)
    fp32 = None if args.int8_only else torch.jit.freeze(torch.jit.trace(model, x))
    prepared = prepare_fx(model, get_default_qconfig_mapping("onednn"), example_inputs=(x,))
    with torch.no_grad():
        for _ in range(8):
            prepared(torch.randn(args.batch, 3, 224, 224))
    int8 = torch.jit.freeze(torch.jit.trace(convert_fx(prepared), x))
    q = time_model(int8, x, args.warmup, args.repeat)
    if args.int8_only:
        print(f"pytorch {torch.__version__} onednn threads={args.threads} batch={args.batch}: int8_ms={q:.3f}")
        return
    f = time_model(fp32, x, args.warmup, args.repeat)
    print(f"pytorch {torch.__version__} onednn threads={args.threads} batch={args.batch}: "
          f"fp32_ms={f:.3f} int8_ms={q:.3f} speedup={f / q:.2f}")


if __name__ == "__main__":
    main()
