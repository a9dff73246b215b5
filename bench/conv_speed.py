"""How fast is the solution's conv2d (and conv2d_backward) next to torch's own, on a realistic layer?

A benchmark, never a timed test: the hidden suite gives any correct solution full marks however
slow (loops included). This shows what the solution's vectorized forward (F.unfold, then one
einsum) costs next to F.conv2d, and its backward (a loop over the 9 kernel taps) next to
autograd through F.conv2d. Default layer: N=32, C=64 -> 64, 32x32, 3x3, padding 1, float32.
Prints the median time of each and the ratios.

    python bench/conv_speed.py [--device cpu|cuda] [--repeat 10] [--threads N] [--module solutions]
"""
import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

KIT = Path(__file__).resolve().parent.parent


def load_conv(folder: str):
    path = KIT / folder / "ch5" / "conv.py"
    spec = importlib.util.spec_from_file_location("conv_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_seconds(fn, repeat: int, device: str) -> float:
    fn()   # warm up (allocator, kernels, lazy imports)
    times = []
    for _ in range(repeat):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def torch_backward(grad_output, x, weight, bias, padding):
    x, weight, bias = (t.detach().requires_grad_() for t in (x, weight, bias))
    out = F.conv2d(x, weight, bias, padding=padding)
    return torch.autograd.grad(out, (x, weight, bias), grad_output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    parser.add_argument("--module", default="solutions", help="the folder holding ch5/conv.py")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.allow_tf32 = False          # both sides in true float32
    torch.backends.cuda.matmul.allow_tf32 = False
    conv = load_conv(args.module)

    g = torch.Generator().manual_seed(0)
    n, c_in, c_out, size, padding = args.batch, 64, 64, 32, 1
    x = torch.randn(n, c_in, size, size, generator=g).to(args.device)
    weight = (torch.randn(c_out, c_in, 3, 3, generator=g) / 24).to(args.device)
    bias = torch.randn(c_out, generator=g).to(args.device)
    grad_output = torch.randn(n, c_out, size, size, generator=g).to(args.device)

    error = (conv.conv2d(x, weight, bias, padding=padding) - F.conv2d(x, weight, bias, padding=padding)).abs().max()
    print(f"layer: N={n}, C={c_in}->{c_out}, {size}x{size}, 3x3, padding={padding}, float32, on {args.device}, "
          f"{torch.get_num_threads()} thread(s); ch5/conv.py from {args.module}/ (max |difference| {error:.1e})")
    with torch.no_grad():
        mine = median_seconds(lambda: conv.conv2d(x, weight, bias, padding=padding), args.repeat, args.device)
        theirs = median_seconds(lambda: F.conv2d(x, weight, bias, padding=padding), args.repeat, args.device)
        mine_back = median_seconds(lambda: conv.conv2d_backward(grad_output, x, weight, padding=padding),
                                   args.repeat, args.device)
    theirs_back = median_seconds(lambda: torch_backward(grad_output, x, weight, bias, padding),
                                 args.repeat, args.device)
    print(f"forward:  conv2d {mine * 1e3:8.2f} ms   F.conv2d {theirs * 1e3:8.2f} ms   ratio {mine / theirs:5.2f}")
    print(f"backward: conv2d_backward {mine_back * 1e3:8.2f} ms   autograd {theirs_back * 1e3:8.2f} ms   "
          f"ratio {mine_back / theirs_back:5.2f}")


if __name__ == "__main__":
    main()
