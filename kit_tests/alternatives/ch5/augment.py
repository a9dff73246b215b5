"""A differently written correct ch5/augment.py (kit_tests/test_chapters.py gives it full marks).

The crop pastes x into a zero canvas, draws each offset as floor(u * positions) from one uniform
per sample and axis (left first), and reads all windows at once through unfold; the flip draws
Bernoulli(p) decisions and mirrors by indexing the columns in reverse, under torch.where.
"""
import torch


def random_crop(x, size, padding=0, generator=None):
    if isinstance(size, int):
        size = (size, size)
    h, w = int(size[0]), int(size[1])
    n, c, height, width = x.shape
    canvas = x.new_zeros(n, c, height + 2 * padding, width + 2 * padding)
    canvas[:, :, padding:padding + height, padding:padding + width] = x
    rows, cols = canvas.shape[2] - h + 1, canvas.shape[3] - w + 1
    if rows < 1 or cols < 1:
        raise ValueError("the crop is larger than the padded image")
    u = torch.rand(n, 2, generator=generator, dtype=torch.float64)
    left = (u[:, 0] * cols).floor().long().clamp(max=cols - 1)
    top = (u[:, 1] * rows).floor().long().clamp(max=rows - 1)
    windows = canvas.unfold(2, h, 1).unfold(3, w, 1)          # [N, C, rows, cols, h, w]
    picked = windows[torch.arange(n), :, top.to(x.device), left.to(x.device)]   # [N, C, h, w]
    return picked.contiguous()


def random_horizontal_flip(x, p=0.5, generator=None):
    chances = torch.full((x.shape[0],), float(p), dtype=torch.float64)
    decisions = torch.bernoulli(chances, generator=generator).bool().to(x.device)
    reversed_columns = torch.arange(x.shape[-1] - 1, -1, -1, device=x.device)
    mirrored = x.index_select(-1, reversed_columns)
    return torch.where(decisions.view(-1, 1, 1, 1), mirrored, x)
