"""Tokenizers and language-model training examples.

A language model reads integer token ids, not text. This module turns text into
ids and back, in two ways, and cuts a long stream of ids into training examples:

- `CharTokenizer`: one id per character (the vocabulary is every distinct
  character of a training text, sorted);
- byte-level BPE (byte pair encoding, as in GPT-2): `train_bpe` learns merges
  from a text, `bpe_encode` turns any text into ids with those merges and
  `bpe_decode` turns ids back into text;
- `lm_examples`: (input, target) windows for next-token prediction.

Token ids are plain Python ints everywhere except in `lm_examples`, which
returns int64 tensors. No function modifies its arguments (texts, id lists,
merges, token tensors).
"""
import torch


class CharTokenizer:
    """A character-level tokenizer.

    `CharTokenizer(text)`: the vocabulary is the sorted list of the distinct
    characters of `text` (`sorted(set(text))`, i.e. by Unicode code point); the
    id of a character is its position in that list. For "hello": e=0, h=1, l=2, o=3.

    - `vocab_size` (an attribute or property, an int): the number of distinct characters.
    - `encode(s) -> list[int]`: the id of each character of `s`, in order
      (`encode("") == []`). A character that is not in the vocabulary raises ValueError.
    - `decode(ids) -> str`: the inverse; `ids` is a list of ints. An id outside
      `0 .. vocab_size - 1` raises ValueError (a negative id too).

    `decode(encode(s)) == s` for every `s` made of vocabulary characters. Two
    tokenizers built from different texts are independent of each other.
    """

    def __init__(self, text):
        ### BEGIN SOLUTION
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.vocab_size = len(self.chars)
        ### END SOLUTION

    def encode(self, s):
        ### BEGIN SOLUTION
        for c in s:
            if c not in self.stoi:
                raise ValueError(f"character {c!r} is not in the vocabulary")
        return [self.stoi[c] for c in s]
        ### END SOLUTION

    def decode(self, ids):
        ### BEGIN SOLUTION
        out = []
        for i in ids:
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"id {i} is outside 0..{self.vocab_size - 1}")
            out.append(self.chars[i])
        return "".join(out)
        ### END SOLUTION


def _merge(ids, pair, new_id):
    """`ids` with every occurrence of `pair` replaced by `new_id`, left to right, non-overlapping."""
    ### BEGIN SOLUTION
    out = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
    ### END SOLUTION


def train_bpe(text, vocab_size):
    """Learn byte-level BPE merges from `text`; returns `merges`, a list of `(a, b)` tuples of ints.

    Start from the UTF-8 bytes of `text`: `ids = list(text.encode("utf-8"))`,
    so ids 0..255 are the 256 byte values. Then repeat, for i = 0, 1, 2, ...:

    1. Count every adjacent pair `(ids[j], ids[j + 1])`, overlaps included:
       [97, 97, 97] ("aaa") holds the pair (97, 97) twice.
    2. Take the most frequent pair. Ties go to the pair seen first: the one
       whose first occurrence in the current `ids` is leftmost.
    3. Append it to `merges` and replace each of its occurrences in `ids` by the
       new id `256 + i`, scanning left to right, non-overlapping: with the pair
       (97, 97), [97, 97, 97] becomes [256, 97].

    Stop when the vocabulary (256 byte ids + one per merge) reaches `vocab_size`,
    i.e. after `vocab_size - 256` merges, or earlier when no pair is left (`ids`
    has fewer than 2 elements). A pair that occurs only once is merged too.
    `vocab_size <= 256` gives no merges: `[]`.

    Example: "aaabdaaabac" with vocab_size=259 gives
    [(97, 97), (256, 97), (257, 98)] (the second step is a tie between
    (256, 97) and (97, 98), both twice: (256, 97) comes first).
    """
    ### BEGIN SOLUTION
    ids = list(text.encode("utf-8"))
    merges = []
    for new_id in range(256, vocab_size):
        counts = {}  # dicts keep insertion order: the order pairs are first seen
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = max(counts, key=counts.get)  # max keeps the first of equal counts
        merges.append(best)
        ids = _merge(ids, best, new_id)
    return merges
    ### END SOLUTION


def bpe_encode(text, merges):
    """Encode `text` (any str) into a list of int ids with the `merges` of `train_bpe`.

    Start from the UTF-8 bytes of `text` and apply the merges in the order they
    were learned: while some adjacent pair of the sequence is in `merges`, take
    the one that was learned first (the lowest index i in `merges`) and replace
    its occurrences by `256 + i`, left to right, non-overlapping. Merge i may
    only apply after the merges it is built from: [(97, 97), (256, 97)] turns
    "aaa" into [257]. Text never seen in training works too (it may simply
    stay as more, shorter tokens). `bpe_encode("", merges) == []`.
    Applying the merges one after another over the whole sequence,
    `for i, pair in enumerate(merges)`, gives the same result.
    """
    ### BEGIN SOLUTION
    ranks = {pair: i for i, pair in enumerate(merges)}
    ids = list(text.encode("utf-8"))
    while len(ids) >= 2:
        pairs = set(zip(ids, ids[1:]))
        pair = min(pairs, key=lambda p: ranks.get(p, len(ranks)))
        if pair not in ranks:
            break  # no pair of the sequence was ever merged
        ids = _merge(ids, pair, 256 + ranks[pair])
    return ids
    ### END SOLUTION


def bpe_decode(ids, merges):
    """Decode a list of int ids (from `bpe_encode` with the same `merges`) back to a str.

    Each id stands for a byte string: id b < 256 is the single byte b, and merge
    i, `merges[i] = (a, b)`, makes id `256 + i` stand for the bytes of a followed
    by the bytes of b. Join the bytes of all ids, then decode them as UTF-8 once,
    with `errors="replace"`: bytes that are not valid UTF-8 (possible for ids not
    made by `bpe_encode`, e.g. [0x80]) become the replacement character U+FFFD
    instead of raising. An id outside `0 .. 255 + len(merges)` raises ValueError.

    `bpe_decode(bpe_encode(s, merges), merges) == s` for every str `s` (emoji,
    accents, any script), also for text the merges were not trained on.
    """
    ### BEGIN SOLUTION
    vocab = {b: bytes([b]) for b in range(256)}
    for i, (a, b) in enumerate(merges):
        vocab[256 + i] = vocab[a] + vocab[b]
    for i in ids:
        if i not in vocab:
            raise ValueError(f"id {i} is outside 0..{255 + len(merges)}")
    data = b"".join(vocab[i] for i in ids)
    return data.decode("utf-8", errors="replace")
    ### END SOLUTION


def lm_examples(tokens, context_len, stride=None):
    """Cut a token stream into next-token-prediction examples: `(inputs, targets)`.

    `tokens`: a list of ints or a 1-D integer tensor (any integer dtype; it is
    not modified). Windows of `context_len` tokens start at 0, stride,
    2 * stride, ... (`stride` defaults to `context_len`: no overlap; a stride
    below `context_len` overlaps, above it skips tokens). A window starting at s
    has inputs `tokens[s : s + context_len]` and targets shifted by one,
    `tokens[s + 1 : s + context_len + 1]`, so it needs
    `s + context_len + 1 <= len(tokens)`; no partial windows.

    Returns two int64 tensors of shape `[N, context_len]`, N the number of
    windows, on the device of `tokens` (CPU for a list). Too few tokens give
    N = 0: shape `[0, context_len]`. `context_len < 1` or `stride < 1` raises ValueError.

    Example: `lm_examples(list(range(10)), 3)` gives inputs
    [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and targets [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    with `list(range(9))` the third window does not fit (its last target would
    be a 10th token): N = 2. With stride=2: windows start at 0, 2, 4, 6.
    """
    ### BEGIN SOLUTION
    if stride is None:
        stride = context_len
    if context_len < 1 or stride < 1:
        raise ValueError(f"context_len and stride must be >= 1, got {context_len} and {stride}")
    tokens = torch.as_tensor(tokens, dtype=torch.long)
    starts = range(0, len(tokens) - context_len, stride)
    if len(starts) == 0:
        empty = torch.empty((0, context_len), dtype=torch.long, device=tokens.device)
        return empty, empty.clone()
    inputs = torch.stack([tokens[s:s + context_len] for s in starts])
    targets = torch.stack([tokens[s + 1:s + context_len + 1] for s in starts])
    return inputs, targets
    ### END SOLUTION
