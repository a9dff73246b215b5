"""Reference for ch6/sampling.py, written independently of the solution.

torch has no counterpart of these functions, so the filters use other exact
formulas: top-k compares with the k-th value of a full sort; top-p keeps a
token when the probability mass of the strictly more probable tokens (computed
in float64, without sorting) is below p. `sample` draws with torch.multinomial
(its statistics are checked by the hidden suite itself); `generate` is the plain
loop of the spec.
"""
import torch
from ch6.kv_cache import KVCache

NEG_INF = float("-inf")


def top_k_filter(logits, k):
    if k <= 0:
        raise ValueError(f"k must be >= 1, got {k}")
    vocab = logits.shape[-1]
    if k >= vocab:
        return logits.clone()
    kth = logits.sort(dim=-1, descending=True).values[..., k - 1].unsqueeze(-1)
    return torch.where(logits >= kth, logits, torch.full_like(logits, NEG_INF))


def top_p_filter(logits, p):
    if p <= 0:
        raise ValueError(f"p must be > 0, got {p}")
    if p >= 1:
        return logits.clone()
    probs = torch.softmax(logits.double(), dim=-1)               # [..., V]
    above = probs.unsqueeze(-2) > probs.unsqueeze(-1)            # [..., i, j]: token j more probable than i
    mass_above = (probs.unsqueeze(-2) * above).sum(-1)           # [..., V]
    keep = mass_above < p
    return torch.where(keep, logits, torch.full_like(logits, NEG_INF))


def sample(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(dim=-1)
    scaled = logits / temperature
    if top_k is not None:
        scaled = top_k_filter(scaled, top_k)
    if top_p is not None:
        scaled = top_p_filter(scaled, top_p)
    probs = torch.softmax(scaled, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator)[:, 0]


@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None,
             use_cache=True):
    T0 = idx.shape[1]
    if max_new_tokens < 0 or T0 + max_new_tokens > model.max_len:
        raise ValueError(f"cannot generate {max_new_tokens} tokens after {T0} with max_len {model.max_len}")
    tokens = [idx]
    cache = KVCache(len(model.blocks)) if use_cache else None
    for step in range(max_new_tokens):
        if use_cache:
            logits = model(idx if step == 0 else tokens[-1], cache=cache)
        else:
            logits = model(torch.cat(tokens, dim=1))
        tokens.append(sample(logits[:, -1, :], temperature, top_k, top_p, generator).unsqueeze(1))
    return torch.cat(tokens, dim=1)
