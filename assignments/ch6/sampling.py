# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""From logits to text: filtering, sampling and generating tokens.

A language model gives, for every position, one logit per vocabulary entry. To
continue a text we repeatedly pick the next token from the last position's
logits: greedily (the largest logit) or at random, after reshaping the
distribution with a temperature and cutting off its unlikely tail (top-k,
top-p / nucleus sampling).

Conventions used throughout:
- logits have the vocabulary on the last dim, `[..., V]`; they may be float32
  or float64, on any device, and may already hold -inf (tokens that are
  impossible). Every row must have at least one finite logit.
- Filtering sets the logits of removed tokens to -inf and leaves the kept ones
  exactly unchanged; the result is a new tensor, the input is never modified.
- Random draws come from `generator` (a `torch.Generator` on the logits'
  device) when one is given, else from torch's global random number generator.
"""
import torch

from ch6.kv_cache import KVCache


def top_k_filter(logits, k):
    """Keep the `k` largest logits of every row, set all others to -inf.

    - `logits`: `[..., V]`, any number of leading dims (also a single row `[V]`).
      Returns a new tensor of the same shape, dtype and device.
    - Ties: every logit equal to the k-th largest of its row is kept too, so more
      than `k` tokens survive when values tie at the k-th place.
      Example: `[3., 1., 2., 2.]` with `k=2` keeps `[3., -inf, 2., 2.]`.
    - `k >= V` keeps every logit (no error). `k` must be at least 1: `k <= 0`
      raises ValueError.
    - A -inf logit stays -inf.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def top_p_filter(logits, p):
    """Nucleus filtering: keep the most probable tokens whose probabilities add up to `p`.

    For every row, with probabilities `softmax(logits)` sorted from large to
    small, keep the *smallest prefix whose sum reaches p* (`cumulative sum >= p`):
    the token at which the running sum first reaches `p` (the crossing token) is
    kept, every less probable token becomes -inf.
    Equivalently: a token is kept when the total probability of the tokens
    before it in the sorted order is still below `p`.

    - `logits`: `[..., V]`, any number of leading dims (also `[V]`). Returns a
      new tensor of the same shape, dtype and device; kept logits are unchanged.
    - The most probable token is always kept, however small `p` is.
    - `p >= 1` keeps every logit (do not rely on float sums reaching 1 exactly).
      `p` must be positive: `p <= 0` raises ValueError.
    - Example: probabilities `[0.1, 0.5, 0.25, 0.15]` with `p=0.7`: sorted
      0.5, 0.25 (sum 0.75 >= 0.7), so tokens 1 and 2 are kept.
    - Tests avoid ties among the probabilities and sums within rounding of `p`
      at the crossing point.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def sample(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    """Draw one token id per row: a LongTensor `[B]` on the logits' device.

    - `logits`: `[B, V]` (float32 or float64); not modified.
    - `temperature == 0`: greedy, no randomness: the index of the largest logit
      of each row (ties go to the lowest index, as `torch.argmax`); `top_k` and
      `top_p` cannot change it.
    - `temperature > 0`, in this order: divide the logits by `temperature`
      (< 1 sharpens the distribution, > 1 flattens it); then `top_k_filter`
      (when `top_k` is not None); then `top_p_filter` (when `top_p` is not None;
      it sees the distribution left after top-k, renormalized); then softmax and
      one draw per row from those probabilities.
    - Draw with `generator` (pass it on, e.g. to `torch.multinomial(...,
      generator=generator)`); with `generator=None` use torch's global RNG. The
      same seed must give the same tokens.
    - `temperature < 0` raises ValueError.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None,
             use_cache=True):
    """Continue the prompts `idx` by `max_new_tokens` tokens; return prompt + new tokens.

    - `model`: a language model with TinyGPT's interface: `model.max_len` (int,
      the most positions it can handle), `model.blocks` (its layers: a sequence,
      `len(model.blocks)` is the number of layers) and
      `model(idx, cache=None) -> logits [B, T, V]`.
    - `idx`: LongTensor `[B, T0]` (T0 >= 1), not modified. Returns a new
      LongTensor `[B, T0 + max_new_tokens]` on idx's device: `idx` itself
      followed by the generated tokens.
    - Raises ValueError, before calling the model at all, when
      `T0 + max_new_tokens > model.max_len` or when `max_new_tokens < 0`.
      `max_new_tokens == 0` returns a copy of `idx` without calling the model.
    - Each new token: `sample(logits[:, -1, :], temperature, top_k, top_p,
      generator)` on the logits of the last position.
    - `use_cache=True`: make one `KVCache(len(model.blocks))`, call
      `model(idx, cache=cache)` once with the whole prompt, then at each further
      step `model(new_token[:, None], cache=cache)` with only the newest token
      `[B, 1]` (the model reads the position offset from `cache.seq_len`).
    - `use_cache=False`: each step calls `model(sequence_so_far)` on the whole
      sequence so far (no cache argument).
    - Either way the model is called exactly `max_new_tokens` times (no call
      after the last token is drawn), and greedy decoding (`temperature=0`)
      gives the same tokens with and without the cache.
    - The model runs under `torch.no_grad()`. Its mode is the caller's choice:
      `generate` does not call `model.eval()` or `model.train()`.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
