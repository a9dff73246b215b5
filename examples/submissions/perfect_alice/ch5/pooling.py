"""Max and average pooling over 2-D windows, and the backward pass of max pooling, by hand.

All three functions take `input` of shape `[N, C, H, W]` (float32 or float64, any device) and
the same window arguments as `torch.nn.functional.max_pool2d` / `avg_pool2d`:

- `kernel_size`: the window's height and width, an int (square window) or a tuple `(kh, kw)`;
- `stride`: an int or a tuple `(sh, sw)`; `None` (the default) means `stride = kernel_size`, so
  the windows tile the input without overlapping. A stride smaller than the kernel makes the
  windows overlap;
- `padding`: an int or a tuple `(ph, pw)`, added on both sides of each spatial dim (`ph` rows
  above and below, `pw` columns left and right). It may be at most half the kernel
  (`2 * ph <= kh`, `2 * pw <= kw`, as torch): a larger padding raises an exception.

Window `(i, j)` covers rows `i*sh - ph ... i*sh - ph + kh - 1` and columns `j*sw - pw ...
j*sw - pw + kw - 1` of the input. The output is `[N, C, out_h, out_w]` with the floor rule
`out_h = (H + 2*ph - kh) // sh + 1` (likewise `out_w`): only whole windows, a partial window at
the bottom or right edge is dropped.

Each function returns a new tensor on the input's device in its dtype, and leaves its inputs
unchanged. Hint: `F.pad` pads with any value; `Tensor.unfold`, indexing with index tensors, or
plain loops over the output positions all collect the windows.
"""
import math

import torch
import torch.nn.functional as F


def _pair(value):
    """`(a, b)` from an int `a` (then `b = a`) or a pair `(a, b)`."""
    return (value, value) if isinstance(value, int) else tuple(value)


def _window_rows(size, kernel, stride, padding, device):
    """`[out, kernel]` indices into one padded spatial dim (of `size` before padding), on `device`:
    row `o` holds `o*stride, ..., o*stride + kernel - 1`, the rows (or columns) of window `o`
    counted from the start of the padding; `out` follows the floor rule. Raises on a kernel or
    stride below 1, a negative padding or one above half the kernel, and a window larger than the
    padded input. A helper for the functions below (not graded on its own: use it or not).
    """
    ### BEGIN SOLUTION
    if kernel < 1 or stride < 1 or padding < 0 or 2 * padding > kernel:
        raise ValueError(f"need kernel >= 1, stride >= 1 and 0 <= padding <= kernel / 2, got "
                         f"kernel={kernel}, stride={stride}, padding={padding}")
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise ValueError(f"the window ({kernel}) is larger than the padded input ({size + 2 * padding})")
    starts = torch.arange(out, device=device) * stride
    return starts[:, None] + torch.arange(kernel, device=device)
    ### END SOLUTION


def _padded_windows(input, kernel_size, stride, padding, fill):
    """`(padded, rows, cols)`: the input padded with the value `fill`, and index tensors `rows`
    `[out_h, 1, kh, 1]` and `cols` `[1, out_w, 1, kw]` (from `_window_rows`) such that
    `padded[..., rows, cols]` holds every window, `[N, C, out_h, out_w, kh, kw]`, each in scan
    order. A helper for the functions below (not graded on its own: use it or not).
    """
    ### BEGIN SOLUTION
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    ph, pw = _pair(padding)
    rows = _window_rows(input.shape[-2], kh, sh, ph, input.device)
    cols = _window_rows(input.shape[-1], kw, sw, pw, input.device)
    padded = F.pad(input, (pw, pw, ph, ph), value=fill)
    return padded, rows[:, None, :, None], cols[None, :, None, :]
    ### END SOLUTION


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Max pooling, as `F.max_pool2d(input, kernel_size, stride, padding)`: `[N, C, out_h, out_w]`.

    Each output is the largest input value in its window. Padding counts as `-inf`, so it is never
    the maximum (every window holds at least one input value); it is not zero, which would beat
    negative inputs.
    """
    ### BEGIN SOLUTION
    padded, rows, cols = _padded_windows(input, kernel_size, stride, padding, -math.inf)
    return padded[..., rows, cols].amax(dim=(-2, -1))
    ### END SOLUTION


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    """Average pooling, as `F.avg_pool2d(input, kernel_size, stride, padding)` with torch's
    defaults (`count_include_pad=True`, `ceil_mode=False`): `[N, C, out_h, out_w]`.

    Each output is the sum of its window divided by `kh * kw`: the padding counts as zeros and
    is counted in the divisor, also for a window that is partly padding.
    """
    ### BEGIN SOLUTION
    padded, rows, cols = _padded_windows(input, kernel_size, stride, padding, 0.0)
    return padded[..., rows, cols].mean(dim=(-2, -1))
    ### END SOLUTION


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0):
    """Gradient of `max_pool2d(input, kernel_size, stride, padding)` w.r.t. `input`, given
    `grad_output` `[N, C, out_h, out_w]` (the gradient w.r.t. the pooled output): `[N, C, H, W]`.

    Each window sends its `grad_output` value to the input position that holds the window's
    maximum; every other position of the window gets nothing from it. Ties, as torch: when
    several positions of a window hold the maximum, only the first one in scan order (row by
    row, left to right within a row) gets the gradient. Where windows overlap, a position that
    is the maximum of several windows receives the sum of their gradients (accumulate, do not
    overwrite). Padding is never the maximum, so nothing flows to it. Arguments that
    `max_pool2d` refuses raise here too.

    Hint: `argmax` returns the first of equal maxima; `scatter_add_` (or `index_put_` with
    `accumulate=True`) adds values at given positions, repeated positions included. You may call
    `max_pool2d` (graded here with the kit's version in its place, so one bug costs points once).
    """
    ### BEGIN SOLUTION
    padded, rows, cols = _padded_windows(input, kernel_size, stride, padding, -math.inf)
    windows = padded[..., rows, cols].flatten(-2)             # [N, C, out_h, out_w, kh*kw]
    first_max = windows.argmax(dim=-1, keepdim=True)          # the first maximum in scan order
    positions = (rows * padded.shape[-1] + cols).flatten(-2)  # flat index into padded's H*W
    winners = positions.expand(windows.shape).gather(-1, first_max)
    grad_padded = grad_output.new_zeros(padded.shape).flatten(-2)
    grad_padded.scatter_add_(-1, winners.flatten(-3), grad_output.flatten(-2))
    ph, pw = _pair(padding)
    height, width = input.shape[-2:]
    return grad_padded.view(padded.shape)[..., ph:ph + height, pw:pw + width].contiguous()
    ### END SOLUTION
