# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""A key/value cache for fast autoregressive decoding.

When a language model generates text one token at a time, the keys and values of
the tokens it has already seen do not change. A KV cache keeps them, so that each
new step computes keys and values for the new tokens only and attends over
everything cached so far.
"""
import torch


class KVCache:
    """Keys and values of every layer, appended along the time axis.

    `KVCache(num_layers)` starts empty. Each layer `l` (0 <= l < num_layers) has its
    own keys and values of shape `[B, H, T, Dh]` (batch, heads, time, head dim).

    - `update(layer, k, v)` appends the new `k`, `v` (each `[B, H, T_new, Dh]`) to
      that layer's cache along dim 2 (time) and returns `(k_all, v_all)`, everything
      cached for that layer so far, new entries last: `[B, H, T_old + T_new, Dh]`.
      The first update of a layer has nothing to append to: it stores `k` and `v`
      (themselves or copies) and returns them.
    - `seq_len` (a property, an int) is the number of positions cached: 0 for an
      empty cache. Between forward passes every layer holds the same number of
      positions; count layer 0's.

    The caller's tensors are not modified (`torch.cat` makes new ones).
    Hint: keep two lists of length `num_layers`, with None for "nothing yet".
    """

    def __init__(self, num_layers):
        # YOUR CODE HERE
        raise NotImplementedError()

    def update(self, layer, k, v):
        # YOUR CODE HERE
        raise NotImplementedError()

    @property
    def seq_len(self):
        # YOUR CODE HERE
        raise NotImplementedError()
