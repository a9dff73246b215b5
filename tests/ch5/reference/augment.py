"""Reference for ch5/augment.py, written from the definitions (torchvision is not installed, and
its transforms work on one image at a time). Vectorized: the crop gathers every sample's rows and
columns at once with advanced indexing; the flip picks x or its mirror with torch.where. The suite
checks properties of the draws, so this serves for the meta-device checks and as a stand-in."""
import torch
import torch.nn.functional as F


def random_crop(x, size, padding=0, generator=None):
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    padded = F.pad(x, (padding, padding, padding, padding), value=0.0)
    n, _, height, width = padded.shape
    if h > height or w > width:
        raise ValueError("crop larger than the padded image")
    top = torch.randint(0, height - h + 1, (n,), generator=generator).to(x.device)
    left = torch.randint(0, width - w + 1, (n,), generator=generator).to(x.device)
    rows = (top[:, None] + torch.arange(h, device=x.device))[:, None, :, None]     # [N, 1, h, 1]
    cols = (left[:, None] + torch.arange(w, device=x.device))[:, None, None, :]    # [N, 1, 1, w]
    samples = torch.arange(n, device=x.device)[:, None, None, None]
    channels = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return padded[samples, channels, rows, cols]


def random_horizontal_flip(x, p=0.5, generator=None):
    flip = (torch.rand(x.shape[0], generator=generator) < p).to(x.device)
    return torch.where(flip[:, None, None, None], x.flip(dims=(3,)), x)
