#!/usr/bin/python3
"""PyTorch peer: the image input pipeline of an ImageNet-style training job (CausalVision.Compare image-pipeline).

torchvision.datasets.ImageFolder (PIL decoding of the JPEG and PNG files) with
Compose([RandomResizedCrop(size), RandomHorizontalFlip(), ToTensor(), Normalize(ImageNet)]) and
torch.utils.data.DataLoader(batch_size, shuffle=True, num_workers, drop_last=True, persistent_workers=True):
each worker process decodes, transforms and collates whole batches, as the library's DataLoader workers do
(persistent workers, so that an epoch boundary inside the timed window does not fork the workers again; the
library's workers are threads and cost nothing to restart). --warmup batches are drawn untimed (they cover the
workers' start), then --batches timed ones. Prints one JSON line: images per second over the timed batches, the
wait for each batch, and the mean pixel of the last batch.

Threads: torch.set_num_threads(--threads) in the main process (default 1, as resnet18_step.py; compare.py passes
the same --threads to both sides); DataLoader workers run with one thread each (PyTorch sets that itself).
Needs torchvision (Debian: python3-torchvision, which brings python3-pil).
"""
import argparse
import json
import time

import torch


def batches(loader):
    """Epoch after epoch of the loader's batches."""
    while True:
        yield from loader


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="the image folder: one sub-folder per class")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batches", type=int, default=8, help="timed batches")
    p.add_argument("--warmup", type=int, default=2, help="untimed batches before them")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu", help="accepted for symmetry; the pipeline runs on the CPU")
    a = p.parse_args()
    if a.batch < 1 or a.image_size < 1 or a.workers < 0 or a.batches < 1 or a.warmup < 0:
        raise SystemExit("image_pipeline: need --batch >= 1, --image-size >= 1, --workers >= 0, --batches >= 1, --warmup >= 0.")
    try:
        import torchvision
        from torchvision import datasets, transforms
    except ImportError as e:
        raise SystemExit(f"image_pipeline: torchvision is missing for this Python ({e}); on Debian: apt-get install python3-torchvision.")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    transform = transforms.Compose([
        transforms.RandomResizedCrop(a.image_size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    dataset = datasets.ImageFolder(a.data, transform=transform)
    if len(dataset) < a.batch:
        raise SystemExit(f"image_pipeline: '{a.data}' holds {len(dataset)} images, fewer than one batch of {a.batch}.")
    loader = torch.utils.data.DataLoader(dataset, batch_size=a.batch, shuffle=True, num_workers=a.workers,
                                         drop_last=True, persistent_workers=a.workers > 0)
    stream = batches(loader)
    for _ in range(a.warmup):
        next(stream)
    waits, images, pixel_mean = [], 0, float("nan")
    t0 = time.perf_counter()
    for i in range(a.batches):
        w0 = time.perf_counter()
        x, _ = next(stream)
        t = time.perf_counter()
        waits.append((t - w0) * 1000.0)
        images += x.shape[0]
        if i == a.batches - 1:
            # The clock stops at the last batch's arrival; its mean checks the normalisation (both sides report it).
            elapsed = (t - t0) * 1000.0
            pixel_mean = float(x.mean())
    print(json.dumps({"impl": f"pytorch {torch.__version__} + torchvision {torchvision.__version__} (ImageFolder, DataLoader)",
                      "metric": "images_per_s", "values": [images / (elapsed / 1000.0)], "device": "cpu",
                      "elapsed_ms": elapsed, "images": images, "batch_ms": waits, "dataset_images": len(dataset),
                      "batch": a.batch, "workers": a.workers, "image_size": a.image_size, "pixel_mean": pixel_mean}),
          flush=True)


if __name__ == "__main__":
    main()
