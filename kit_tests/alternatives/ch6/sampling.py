"""A differently written correct sampling module: kthvalue, float64 ascending sums, inverse-CDF draws, a token list."""
import torch
from ch6.kv_cache import KVCache


def top_k_filter(logits, k):
    if k < 1:
        raise ValueError("k must be positive")
    V = logits.shape[-1]
    k = min(k, V)
    # the k-th largest is the (V - k + 1)-th smallest
    threshold = torch.kthvalue(logits, V - k + 1, dim=-1, keepdim=True).values
    out = logits.clone()
    out[logits < threshold] = float("-inf")
    return out


def top_p_filter(logits, p):
    if not p > 0:
        raise ValueError("p must be positive")
    out = logits.clone()
    if p >= 1:
        return out
    probs = torch.softmax(logits.to(torch.float64), dim=-1)
    ascending, order = torch.sort(probs, dim=-1)
    # mass of the tokens more probable than each token = total - inclusive ascending running sum
    more_probable = ascending.sum(-1, keepdim=True) - torch.cumsum(ascending, dim=-1)
    drop_sorted = more_probable >= p
    drop_sorted[..., -1] = False        # the most probable token
    drop = torch.empty_like(drop_sorted)
    drop.scatter_(-1, order, drop_sorted)
    out[drop] = float("-inf")
    return out


def sample(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if temperature < 0:
        raise ValueError("temperature must be >= 0")
    B, V = logits.shape
    if temperature == 0:
        best = logits.max(dim=-1, keepdim=True).values
        positions = torch.arange(V, device=logits.device).expand(B, V)
        return torch.where(logits == best, positions, V).min(dim=-1).values
    x = logits.to(torch.float64) / temperature
    if top_k is not None:
        x = top_k_filter(x, top_k)
    if top_p is not None:
        x = top_p_filter(x, top_p)
    weights = torch.exp(x - x.max(dim=-1, keepdim=True).values)
    cdf = torch.cumsum(weights, dim=-1)
    u = torch.rand(B, 1, generator=generator, dtype=torch.float64, device=logits.device) * cdf[:, -1:]
    # the first token whose cumulative weight exceeds u (never one of weight 0)
    return torch.searchsorted(cdf, u, right=True).clamp(max=V - 1).squeeze(1)


def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, generator=None,
             use_cache=True):
    B, T0 = idx.shape
    if max_new_tokens < 0 or T0 + max_new_tokens > model.max_len:
        raise ValueError(f"{T0} + {max_new_tokens} tokens do not fit max_len={model.max_len}")
    tokens = [idx[:, t] for t in range(T0)]
    cache = KVCache(len(model.blocks)) if use_cache else None
    with torch.no_grad():
        while len(tokens) < T0 + max_new_tokens:
            if cache is None:
                logits = model(torch.stack(tokens, dim=1))
            elif cache.seq_len == 0:
                logits = model(idx, cache)
            else:
                logits = model(tokens[-1].unsqueeze(1), cache)
            tokens.append(sample(logits[:, -1], temperature, top_k, top_p, generator))
    return torch.stack(tokens, dim=1)
