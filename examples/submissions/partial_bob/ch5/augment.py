"""Data augmentation for image batches: random crops (with zero padding) and random horizontal flips.

Rules shared by the exercises:

- `x[N, C, H, W]` is a batch of images, any float dtype, on any device. The result is a new tensor
  in x's dtype on x's device; x itself is never modified.
- Only the images change: a crop or a mirror image still shows the same class, so labels are not
  an argument and the functions return the images alone.
- Randomness: one independent draw per sample (two samples of one batch usually get different
  crops or flips). `generator` is a CPU `torch.Generator` or None (then torch's global generator).
  Draw on the CPU with it, e.g. `torch.randint(..., generator=generator)`, whatever x's device,
  and move what you drew to x's device if you need it there. The same generator seed gives the
  same result. Which numbers you draw, and in which order, is up to you.
"""
import torch
import torch.nn.functional as F


def random_crop(x, size, padding=0, generator=None):
    """Crop each image of the batch at its own random position, after padding it with zeros.

    `size` is the crop's size: an int for a square crop, or a pair `(h, w)` (height first).
    `padding` (an int >= 0) adds that many rows of zeros at the top and at the bottom and that
    many columns of zeros on the left and on the right of every image, giving
    `[N, C, H + 2*padding, W + 2*padding]`. Then each sample gets its own offset
    (top, left), drawn uniformly among all positions where the crop fits inside the padded image:
    top in 0 .. H + 2*padding - h and left in 0 .. W + 2*padding - w, both ends included (every
    position must be reachable). Returns `[N, C, h, w]`: sample i is
    `padded[i, :, top_i:top_i + h, left_i:left_i + w]`.

    A crop larger than the padded image raises ValueError.

    Hint: `F.pad(x, [left, right, top, bottom])` pads the last two dimensions with zeros.
    """
    ### BEGIN SOLUTION
    crop_h, crop_w = (size, size) if isinstance(size, int) else size
    padded = F.pad(x, [padding] * 4)
    n, _, height, width = padded.shape
    if crop_h > height or crop_w > width:
        raise ValueError(f"a {crop_h}x{crop_w} crop does not fit in a {height}x{width} padded image")

    def offsets(num_positions):
        return torch.randint(num_positions, (n,), generator=generator).tolist()

    tops, lefts = offsets(height - crop_h + 1), offsets(width - crop_w + 1)
    crops = [padded[i, :, tops[i]:tops[i] + crop_h, lefts[i]:lefts[i] + crop_w] for i in range(n)]
    return torch.stack(crops)
    ### END SOLUTION


def random_horizontal_flip(x, p=0.5, generator=None):
    """Mirror each image left-right with probability p, independently for each sample.

    Flipping reverses the width axis (the last one, W): column j becomes column W - 1 - j; rows
    and channels stay where they are. Each sample is flipped with probability `p` (a number in
    [0, 1]) and otherwise left as it is: p = 0 never flips, p = 1 always flips. Returns a tensor
    of x's shape.
    """
    ### BEGIN SOLUTION
    flip = torch.rand(x.shape[0], generator=generator) < p
    flip = flip.to(x.device).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(-1), x)
    ### END SOLUTION
