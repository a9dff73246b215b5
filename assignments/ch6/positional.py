# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Position information for transformers: sinusoidal, learned and rotary (RoPE).

Attention by itself does not know the order of the tokens; these give it.

The inputs (`positions`, `x`) are never modified.
"""
import torch
import torch.nn as nn


def sinusoidal_positions(num_positions, dim):
    """The fixed sinusoidal encodings of "Attention Is All You Need", `[num_positions, dim]`.

    `PE[p, 2i] = sin(p / 10000^(2i/dim))` and `PE[p, 2i+1] = cos(p / 10000^(2i/dim))`:
    even columns sine, odd columns cosine, the pair (2i, 2i+1) sharing a frequency.
    An odd `dim` ends with a sine column. Returns a CPU tensor of torch's default
    dtype (float32 unless changed).
    Hint: compute the angles `p * 10000^(-2i/dim)` in float64, then convert. (The
    tests allow the error of float32 angles, a few float32 roundings of each angle,
    also when the default dtype is float64: entry by entry within about 1e-6 * p.)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


class LearnedPositionalEmbedding(nn.Module):
    """A learned vector per position: `LearnedPositionalEmbedding(max_len, dim)`.

    - parameter `weight` of shape `[max_len, dim]`, initialised like `nn.Embedding`
      (standard normal);
    - `forward(positions)`: `positions` is an integer tensor of any shape; returns
      `weight[positions]`, shape `positions.shape + (dim,)`;
    - a position `>= max_len` (or negative) raises ValueError with a message that
      names `max_len`, e.g. "position 12 is out of range for max_len 10".
    """

    def __init__(self, max_len, dim):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, positions):
        # YOUR CODE HERE
        raise NotImplementedError()


def apply_rope(x, positions, base=10000.0):
    """Rotary position embedding (RoPE) of `x[..., T, D]` (D even).

    Each interleaved pair of features `(x[..., 2i], x[..., 2i+1])` at time t is
    rotated by the angle `positions[t] * base^(-2i/D)`:
        out[..., 2i]   = x[..., 2i] * cos - x[..., 2i+1] * sin
        out[..., 2i+1] = x[..., 2i] * sin + x[..., 2i+1] * cos
    `positions` is a 1-D tensor of length T (integers or floats; need not start at
    0, e.g. positions continuing after a KV cache). `x` may be any view (e.g.
    `q.transpose(1, 2)`). Returns a new tensor like `x` (same shape, dtype,
    device); `x` itself is not modified. Because of the rotation, the dot product
    of a rotated query and a rotated key depends only on their relative position.

    Precision follows `x`: for float64 `x`, compute the angles, their cos/sin and the
    rotation in float64 (a float32 frequency or angle table, as many implementations
    keep, is off by ~1e-7 * position there; float64 results are compared with the
    exact rotation at float64 precision, about 1e-7 relative). For float32 `x`,
    float32 angles are fine: the
    tolerance allows a few float32 roundings of each angle (its error grows with the
    position).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
