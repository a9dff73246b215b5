"""A second correct ch6/tokenizer.py: Counter.most_common for the statistics, a
skip flag for the replacement, encoding by a lowest-rank scan, decoding by
recursive expansion of merged ids, and lm_examples with Tensor.unfold."""
from collections import Counter

import torch


class CharTokenizer:
    def __init__(self, text):
        self._chars = sorted(set(text))
        self._index = {c: i for i, c in enumerate(self._chars)}

    @property
    def vocab_size(self):
        return len(self._chars)

    def encode(self, s):
        try:
            return [self._index[c] for c in s]
        except KeyError as exc:
            raise ValueError(f"unknown character {exc.args[0]!r}") from None

    def decode(self, ids):
        if any(i < 0 or i >= len(self._chars) for i in ids):
            raise ValueError("id out of range")
        return "".join(self._chars[i] for i in ids)


def train_bpe(text, vocab_size):
    # Counter.most_common keeps the first-seen order among equal counts
    ids = list(text.encode("utf-8"))
    merges = []
    next_id = 256
    while next_id < vocab_size and len(ids) > 1:
        (pair, _), = Counter(zip(ids, ids[1:])).most_common(1)
        merges.append(pair)
        merged = []
        skip = False
        for j, token in enumerate(ids):
            if skip:
                skip = False
                continue
            if j + 1 < len(ids) and token == pair[0] and ids[j + 1] == pair[1]:
                merged.append(next_id)
                skip = True
            else:
                merged.append(token)
        ids = merged
        next_id += 1
    return merges


def bpe_encode(text, merges):
    rank = {tuple(p): r for r, p in enumerate(merges)}
    ids = list(text.encode("utf-8"))
    while True:
        # lowest-rank pair present, found by one scan
        best = None
        for a, b in zip(ids, ids[1:]):
            r = rank.get((a, b))
            if r is not None and (best is None or r < best):
                best = r
        if best is None:
            return ids
        pair = merges[best]
        out = []
        j = 0
        while j < len(ids):
            if ids[j:j + 2] == [pair[0], pair[1]]:
                out.append(256 + best)
                j += 2
            else:
                out.append(ids[j])
                j += 1
        ids = out


def bpe_decode(ids, merges):
    def expand(i):
        if i < 0 or i >= 256 + len(merges):
            raise ValueError(f"bad id {i}")
        stack, out = [i], []
        while stack:
            t = stack.pop()
            if t < 256:
                out.append(t)
            else:
                a, b = merges[t - 256]
                stack.append(b)
                stack.append(a)
        return out

    raw = bytes(b for i in ids for b in expand(i))
    return raw.decode("utf-8", errors="replace")


def lm_examples(tokens, context_len, stride=None):
    stride = context_len if stride is None else stride
    if context_len <= 0 or stride <= 0:
        raise ValueError("context_len and stride must be positive")
    t = tokens.to(torch.int64) if isinstance(tokens, torch.Tensor) else torch.tensor(list(tokens), dtype=torch.int64)
    t = t.reshape(-1)
    if t.numel() < context_len + 1:
        empty = torch.zeros((0, context_len), dtype=torch.int64, device=t.device)
        return empty, empty.clone()
    inputs = t[:-1].unfold(0, context_len, stride).clone()
    targets = t[1:].unfold(0, context_len, stride).clone()
    return inputs, targets
