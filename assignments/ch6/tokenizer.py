# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
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
        # YOUR CODE HERE
        raise NotImplementedError()

    def encode(self, s):
        # YOUR CODE HERE
        raise NotImplementedError()

    def decode(self, ids):
        # YOUR CODE HERE
        raise NotImplementedError()


def _merge(ids, pair, new_id):
    """`ids` with every occurrence of `pair` replaced by `new_id`, left to right, non-overlapping."""
    # YOUR CODE HERE
    raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()
