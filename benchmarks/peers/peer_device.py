"""Device handling shared by the PyTorch peers: `--device cpu|cuda[:N]`.

On CUDA every factory call without an explicit device lands on the card (torch >= 2.0's
`set_default_device`), and the timers wait for the card (`synchronize`) before reading the clock,
so a step's time covers its kernels, not only their launches. On the CPU nothing changes.
"""
import torch


def add_argument(parser):
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N] (torch >= 2.0 for cuda)")


def setup(name):
    """Returns the torch.device for `name`, made the default device for factories when it is a GPU."""
    dev = torch.device(name)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit(f"peer: --device {name} asked for, but torch {torch.__version__} sees no CUDA device.")
        if not hasattr(torch, "set_default_device"):
            raise SystemExit(f"peer: --device {name} needs torch >= 2.0 (this is {torch.__version__}).")
        torch.cuda.set_device(dev)
        torch.set_default_device(dev)
        torch.backends.cudnn.benchmark = False  # the library does not enable cuDNN autotuning either
    return dev


def sync(dev):
    """Waits for the device's queued kernels (a no-op on the CPU)."""
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def memory_extras(dev):
    """Peak device memory of the process so far, in MiB (empty on the CPU)."""
    if dev.type != "cuda":
        return {}
    return {"gpu_peak_mib": torch.cuda.max_memory_allocated(dev) / 2**20,
            "gpu_live_mib": torch.cuda.memory_allocated(dev) / 2**20}
