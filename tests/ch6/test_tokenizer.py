"""Hidden suite for ch6/tokenizer.py: character tokenizer, byte-level BPE, LM windows.

torch has no counterpart, so the reference (tests/ch6/reference/tokenizer.py) is
an independent straightforward implementation; hand-worked merge lists pin it
(`HAND_MERGES`: every test that uses one asserts the reference reproduces it
first, so a mistake in the reference shows up as a kit failure, not as the
student's). Token ids are exact integers: everything is compared exactly.

Graded in isolation: `bpe_encode` gets merges made by the reference's
`train_bpe`, `bpe_decode` gets ids made by the reference's `bpe_encode`, so a
mistake in one exercise costs points once.
"""
import random

import pytest
import torch

from autograder import probes  # in a probe, `probes` is this module too (PROBE_GLOBALS)
from autograder.compare import expect_equal
from autograder.devices import run_on_meta
from autograder.probes import apply, raises
from autograder.suite_helpers import call_text, gen

# ------------------------------------------------------------------ probes


def char_tokenizer(impl, text, queries, ids):
    """Build a CharTokenizer on `text`; encode each query, decode it back, and decode `ids`."""
    tok = impl.CharTokenizer(text)
    encoded = [tok.encode(q) for q in queries]
    return {"vocab_size": int(tok.vocab_size), "encode": encoded,
            "decode(encode(query))": [tok.decode(list(e)) for e in encoded], "decode(ids)": tok.decode(ids)}


def char_two_tokenizers(impl, text_a, text_b, query):
    """Two tokenizers alive at once must not share their vocabularies."""
    tok_a = impl.CharTokenizer(text_a)
    tok_b = impl.CharTokenizer(text_b)
    return {"a.vocab_size": int(tok_a.vocab_size), "b.vocab_size": int(tok_b.vocab_size),
            "a.encode": tok_a.encode(query), "b.encode": tok_b.encode(query)}


def char_errors(impl, text, unknown, bad_ids):
    """encode of a string with an unknown character (ValueError); decode of out-of-range ids (must raise)."""
    tok = impl.CharTokenizer(text)
    out = {"encode": probes.outcome(lambda: tok.encode(unknown), ValueError)}
    for i in bad_ids:
        out[f"decode([0, {i}])"] = probes.outcome(lambda: tok.decode([0, i]))
    return out


def train(impl, text, vocab_size):
    """The merges of train_bpe(text, vocab_size), each as a tuple."""
    return [tuple(m) for m in impl.train_bpe(text, vocab_size)]


# ------------------------------------------------------------- test data

WIKI = "aaabdaaabac"
# (text, vocab_size) -> merges worked out by hand (ids: a=97, b=98, c=99, d=100).
HAND_MERGES = {
    # aa x4 (overlaps: "aaa" holds aa twice); then (256,97) and (97,98) tie at 2: (256,97) is seen first.
    (WIKI, 259): [(97, 97), (256, 97), (257, 98)],
    # ... and on while any pair is left: X d X a c (X = 258), all pairs once: the leftmost first,
    # until the sequence is a single token: 7 merges, vocab_size 1000 is never reached.
    (WIKI, 1000): [(97, 97), (256, 97), (257, 98), (258, 100), (259, 258), (260, 97), (261, 99)],
    # overlaps: "aaaa" holds aa three times; [256, 256] then [257].
    ("aaaa", 300): [(97, 97), (256, 256)],
    # overlaps: aa 4 times, bc 3 times (counted without overlaps aa would have 2).
    ("aaa.aaa.bcbcbc", 258): [(97, 97), (98, 99)],
    # aa (2, overlapping) ties cd (2) and comes first; counted without overlaps aa would lose.
    ("aaabcdcd", 258): [(97, 97), (99, 100)],
    # ties: zy and ab twice each; the pair seen first wins, whichever sorts first.
    ("zyzyabab", 257): [(122, 121)],
    ("ababzyzy", 257): [(97, 98)],
    ("xyxyxzaxzaxzaxyxy", 257): [(120, 121)],   # xy 4 times, xz 3 times: counts decide, not order
    # multibyte: "éé" is c3 a9 c3 a9.
    ("éé", 300): [(195, 169), (256, 256)],
    # a pair seen once is still merged.
    ("ab", 300): [(97, 98)],
    # nothing to merge.
    ("", 300): [],
    ("a", 300): [],
    (WIKI, 256): [],
    (WIKI, 100): [],
    (WIKI, 257): [(97, 97)],
}

ENGLISH = (
    "The cat sat on the mat. The dog sat on the log. A cat and a dog, then another cat: "
    "the cats and the dogs sat together on the mats and the logs, and nobody said that "
    "the other one was there first. Then the rain came, and the cat ran, and the dog ran "
    "after the cat, and the mat and the log were left alone in the rain.\n"
)
MULTILINGUAL = (
    "Ça va? Très bien, merci! Größe, Straße, naïve café, São Paulo, Łódź. "
    "Ελληνικά και русский язык. 東京と大阪と京都。 emoji: 🙂🙂🙃 👍🏽 👨‍👩‍👧 ❤️ 🇫🇷 "
    "smile 🙂 again 🙂 and café again, très très bien."
)
RUNS = "aaaaaaaaaaaaaab bbbbbbbbbbbba aaaa bbbb abababababab " * 3


def word_text(seed, n_words):
    """Pseudo-English from a fixed syllable list (seeded)."""
    rng = random.Random(seed)
    syllables = ["th", "e", "an", "in", "er", "on", "re", "at", "st", "en", "ing", "ou", "ed", "is"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(n_words)]
    return " ".join(words) + "."


# Code-point ranges for random text: ASCII (incl. control characters), Latin with accents,
# combining marks, Greek, Cyrillic, CJK, emoji, ZWJ and the emoji variation selector.
RANGES = [(0x0, 0x1F), (0x20, 0x7E), (0x20, 0x7E), (0xC0, 0x17F), (0x300, 0x36F), (0x391, 0x3C9),
          (0x410, 0x44F), (0x4E00, 0x4E7F), (0x1F300, 0x1F64F), (0x200D, 0x200D), (0xFE0F, 0xFE0F)]


def random_unicode(seed, count, max_len):
    """`count` seeded random strings of 0..max_len characters (no surrogates)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(0, max_len)):
            lo, hi = rng.choice(RANGES)
            chars.append(chr(rng.randint(lo, hi)))
        out.append("".join(chars))
    return out


def ids_text(ids, limit=12):
    return str(ids) if len(ids) <= limit else f"[{', '.join(map(str, ids[:limit]))}, ... ({len(ids)} ids)]"


def short(text, limit=40):
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} chars)"


def reference_merges(reference, text, vocab_size):
    return reference.run(train, text, vocab_size)


def reference_ids(reference, text, merges):
    return reference.run(apply, "bpe_encode", [text, merges], {})["out"]


# ------------------------------------------------------------ CharTokenizer

CHAR_CASES = {
    "hello": ("hello world", ["hello", "world", "", " dl"], [0, 3, 7, 1]),
    "pangram": ("The quick brown fox jumps over the lazy dog!",
                ["quick", "The lazy dog!", "bred T"], [5, 0, 27, 1, 14]),
    "unsorted": ("zyx cba ZYX 123\n\t", ["abc", "xyz", "ZYX\n", "3 2\t1"], [0, 1, 2, 14, 3]),
    "unicode": ("naïve café — 東京 🙂😀 Ωmega", ["café", "東京🙂", "Ω — ï", "😀"], [0, 16, 10, 4]),
    "empty": ("", [""], []),
}


@pytest.mark.exercise("ch6.tokenizer.CharTokenizer")
@pytest.mark.parametrize("case", list(CHAR_CASES))
def test_char_tokenizer_encode_decode(student, reference, case):
    text, queries, ids = CHAR_CASES[case]
    want = reference.run(char_tokenizer, text, queries, ids)
    assert want["vocab_size"] == len(set(text)), "kit self-check"
    got = student.run(char_tokenizer, text, queries, ids)
    what = f"CharTokenizer({short(text)})"
    expect_equal(got["vocab_size"], want["vocab_size"], what=f"{what}.vocab_size (distinct characters)")
    for q, g, w in zip(queries, got["encode"], want["encode"]):
        expect_equal(g, w, what=f"{what}.encode({q!r}) (ids = positions in sorted(set(text)))")
    for q, g in zip(queries, got["decode(encode(query))"]):
        expect_equal(g, q, what=f"{what}.decode(encode({q!r}))")
    expect_equal(got["decode(ids)"], want["decode(ids)"], what=f"{what}.decode({ids})")


@pytest.mark.exercise("ch6.tokenizer.CharTokenizer")
def test_char_tokenizer_vocabulary_is_sorted(student):
    text = "hello, world"   # sorted: ' ' ',' 'd' 'e' 'h' 'l' 'o' 'r' 'w'
    got = student.run(char_tokenizer, text, ["hello", "world", ", "], [8, 6, 7, 5, 2])
    what = f"CharTokenizer({text!r})"
    expect_equal(got["encode"], [[4, 3, 5, 5, 6], [8, 6, 7, 5, 2], [1, 0]],
                 what=f"{what}.encode('hello'), .encode('world'), .encode(', ') "
                      "(vocabulary sorted(set(text)): ' ' ',' 'd' 'e' 'h' 'l' 'o' 'r' 'w')")
    expect_equal(got["decode(ids)"], "world", what=f"{what}.decode([8, 6, 7, 5, 2])")


@pytest.mark.exercise("ch6.tokenizer.CharTokenizer")
def test_char_tokenizers_are_independent(student, reference):
    args = ("banana", "zebra crossing", "ban")
    got = student.run(char_two_tokenizers, *args)
    want = reference.run(char_two_tokenizers, *args)
    expect_equal(got, want, what="a = CharTokenizer('banana'), b = CharTokenizer('zebra crossing'); "
                                 "a and b encoding 'ban'")


@pytest.mark.exercise("ch6.tokenizer.CharTokenizer")
@pytest.mark.condition
@pytest.mark.parametrize("unknown", ["hellO", "hi!", "héllo"])
def test_char_tokenizer_errors(student, unknown):
    text = "hello world"   # 8 distinct characters
    got = student.run(char_errors, text, unknown, [8, 100, -1])
    expect_equal(got["encode"], "ValueError",
                 what=f"CharTokenizer({text!r}).encode({unknown!r}) (a character not in the vocabulary)")
    for key in ("decode([0, 8])", "decode([0, 100])", "decode([0, -1])"):
        expect_equal(got[key], "raised", what=f"CharTokenizer({text!r}).{key}: vocab_size is 8, ids outside 0..7 "
                                              "must raise (a negative one too)")


# ---------------------------------------------------------------- train_bpe

def check_hand(student, reference, cases):
    """All student calls first (the known-mistake check compares every call), then the comparisons."""
    for text, vocab_size in cases:
        want = reference.run(train, text, vocab_size)
        assert want == HAND_MERGES[(text, vocab_size)], f"kit self-check: reference on {text!r}, {vocab_size}"
    got = [student.run(train, text, vocab_size) for text, vocab_size in cases]
    for (text, vocab_size), g in zip(cases, got):
        expect_equal(g, HAND_MERGES[(text, vocab_size)], what=f"train_bpe({text!r}, {vocab_size})")


@pytest.mark.exercise("ch6.tokenizer.train_bpe")
def test_train_bpe_ties_go_to_the_pair_seen_first(student, reference):
    check_hand(student, reference, [("zyzyabab", 257), ("ababzyzy", 257), ("xyxyxzaxzaxzaxyxy", 257)])


@pytest.mark.exercise("ch6.tokenizer.train_bpe")
def test_train_bpe_small_example(student, reference):
    check_hand(student, reference, [(WIKI, 257), (WIKI, 259)])


@pytest.mark.exercise("ch6.tokenizer.train_bpe")
def test_train_bpe_counts_overlapping_pairs(student, reference):
    check_hand(student, reference, [("aaa.aaa.bcbcbc", 258), ("aaaa", 300), ("aaabcdcd", 258)])


@pytest.mark.exercise("ch6.tokenizer.train_bpe")
def test_train_bpe_runs_until_one_token_is_left(student, reference):
    check_hand(student, reference, [(WIKI, 1000), ("ab", 300)])


@pytest.mark.exercise("ch6.tokenizer.train_bpe")
def test_train_bpe_multibyte(student, reference):
    check_hand(student, reference, [("éé", 300)])


@pytest.mark.exercise("ch6.tokenizer.train_bpe")
def test_train_bpe_nothing_to_merge(student, reference):
    check_hand(student, reference, [("", 300), ("a", 300), (WIKI, 256), (WIKI, 100)])   # vocab_size <= 256: []


TRAIN_TEXTS = {
    "english-300": (ENGLISH, 300),
    "english-400": (ENGLISH, 400),
    "multilingual-330": (MULTILINGUAL, 330),
    "runs-290": (RUNS, 290),
    "words-360": (word_text(0, 400), 360),
}


@pytest.mark.exercise("ch6.tokenizer.train_bpe")
@pytest.mark.parametrize("case", list(TRAIN_TEXTS))
def test_train_bpe_matches_reference(student, reference, case):
    text, vocab_size = TRAIN_TEXTS[case]
    want = reference.run(train, text, vocab_size)
    got = student.run(train, text, vocab_size)
    what = f"train_bpe({short(text)}, {vocab_size})"
    expect_equal(len(got), len(want), what=f"{what}: number of merges")
    expect_equal(got, want, what=f"{what}: merges")


# --------------------------------------------------------------- bpe_encode

def check_encode(student, reference, calls, label):
    """calls: [(text, merges)]; the student's ids must equal the reference's, input unchanged."""
    got = [student.run(apply, "bpe_encode", [text, merges], {}) for text, merges in calls]
    for (text, merges), g in zip(calls, got):
        want = reference_ids(reference, text, merges)
        what = f"bpe_encode({short(text)}, merges) with {len(merges)} merges {label}"
        expect_equal(g["out"], want, what=what)
        expect_equal(g["args_after"], [text, merges], what=f"{what}: the merges after the call (must not change)")


@pytest.mark.exercise("ch6.tokenizer.bpe_encode")
def test_bpe_encode_by_hand(student, reference):
    cases = [("abc", [(97, 98), (98, 99)], [256, 99]),          # (a,b) was learned first: it wins over (b,c)
             ("bcab", [(97, 98), (98, 99)], [257, 256]),
             ("aaa", [(97, 97), (256, 97)], [257]),              # merge 1 builds on merge 0
             ("aaaa", [(97, 97), (256, 97)], [256, 256]),
             ("aaaaa", [(97, 97), (256, 256), (256, 97)], [257, 97]),
             ("xaby", [(97, 98), (120, 256), (257, 121)], [258]),
             ("hi", [], [104, 105]),
             ("", [(97, 98)], [])]
    for text, merges, ids in cases:
        assert reference_ids(reference, text, merges) == ids, f"kit self-check: {text!r}"
    got = [student.run(apply, "bpe_encode", [text, merges], {})["out"] for text, merges, _ in cases]
    for (text, merges, ids), g in zip(cases, got):
        expect_equal(g, ids, what=f"bpe_encode({text!r}, {merges})")


@pytest.mark.exercise("ch6.tokenizer.bpe_encode")
def test_bpe_encode_without_merges_gives_utf8_bytes(student, reference):
    text = "héllo 🙂 東京"
    got = student.run(apply, "bpe_encode", [text, []], {})["out"]
    expect_equal(got, list(text.encode("utf-8")), what=f"bpe_encode({text!r}, []) (the UTF-8 bytes)")


@pytest.mark.exercise("ch6.tokenizer.bpe_encode")
@pytest.mark.parametrize("case", list(TRAIN_TEXTS))
def test_bpe_encode_training_text(student, reference, case):
    text, vocab_size = TRAIN_TEXTS[case]
    merges = reference_merges(reference, text, vocab_size)
    check_encode(student, reference, [(text, merges)], f"learned on this text (vocab_size={vocab_size})")


@pytest.mark.exercise("ch6.tokenizer.bpe_encode")
@pytest.mark.parametrize("trained_on", ["english-400", "multilingual-330", "words-360"])
def test_bpe_encode_unseen_text(student, reference, trained_on):
    text, vocab_size = TRAIN_TEXTS[trained_on]
    merges = reference_merges(reference, text, vocab_size)
    others = [ENGLISH.upper(), MULTILINGUAL[::-1], "the cat 🙂 sat on the mat, naïve 東京", word_text(1, 60)]
    others += random_unicode(seed=2, count=4, max_len=30)
    check_encode(student, reference, [(t, merges) for t in others], f"learned on {trained_on}")


# --------------------------------------------------------------- bpe_decode

@pytest.mark.exercise("ch6.tokenizer.bpe_decode")
def test_bpe_decode_by_hand(student):
    merges = [(104, 105), (256, 33), (32, 257), (258, 258)]   # "hi", "hi!", " hi!", " hi! hi!"
    cases = [([257, 32, 256], "hi! hi"), ([259, 256], " hi! hi!hi"), ([258, 104], " hi!h"), ([], ""),
             ([72, 256], "Hhi")]
    got = [student.run(apply, "bpe_decode", [ids, merges], {}) for ids, _ in cases]
    for (ids, text), g in zip(cases, got):
        expect_equal(g["out"], text, what=f"bpe_decode({ids}, {merges})")
        expect_equal(g["args_after"], [ids, merges], what=f"bpe_decode({ids}, merges): the inputs after the call")


@pytest.mark.exercise("ch6.tokenizer.bpe_decode")
def test_bpe_decode_multibyte_characters_split_over_tokens(student, reference):
    # no merges: every byte its own token; "é" = [195, 169], "🙂" = [240, 159, 153, 130]
    text = "é🙂a東"
    merges = [(169, 240), (159, 153)]     # tokens that cut characters in the middle
    cases = [(list(text.encode("utf-8")), []), (reference_ids(reference, text, merges), merges)]
    got = [student.run(apply, "bpe_decode", [ids, m], {})["out"] for ids, m in cases]
    for (ids, m), g in zip(cases, got):
        expect_equal(g, text, what=f"bpe_decode({ids}, {m}) (join the bytes of all ids, then decode once)")


@pytest.mark.exercise("ch6.tokenizer.bpe_decode")
def test_bpe_decode_invalid_utf8_is_replaced(student, reference):
    merges = [(104, 105)]
    cases = [[104, 128, 105], [256, 0xFF], [0xE2, 0x82], [226, 130, 172, 256]]   # the last one is valid: "€hi"
    want = [reference.run(apply, "bpe_decode", [ids, merges], {})["out"] for ids in cases]
    assert want == ["h\ufffdi", "hi\ufffd", "\ufffd", "€hi"], "kit self-check"
    got = [student.run(apply, "bpe_decode", [ids, merges], {})["out"] for ids in cases]
    for ids, g, w in zip(cases, got, want):
        expect_equal(g, w, what=f"bpe_decode({ids}, {merges}) (invalid UTF-8 -> U+FFFD, errors='replace')")


@pytest.mark.exercise("ch6.tokenizer.bpe_decode")
@pytest.mark.condition
def test_bpe_decode_rejects_unknown_ids(student):
    merges = [(104, 105), (256, 33)]
    for ids in ([104, 258], [1000], [104, -1]):
        got = student.run(raises, "bpe_decode", [ids, merges], {})
        expect_equal(got, "raised", what=f"bpe_decode({ids}, {merges}) (ids are 0..257: others must raise, "
                                         "negative ones too)")


@pytest.mark.exercise("ch6.tokenizer.bpe_decode")
@pytest.mark.parametrize("trained_on", ["english-400", "multilingual-330"])
@pytest.mark.parametrize("seed", [10, 11])
def test_bpe_decode_round_trips(student, reference, trained_on, seed):
    text, vocab_size = TRAIN_TEXTS[trained_on]
    merges = reference_merges(reference, text, vocab_size)
    strings = [text, ENGLISH.upper(), MULTILINGUAL[::-1]] + random_unicode(seed=seed, count=12, max_len=40)
    ids = [reference_ids(reference, s, merges) for s in strings]
    assert any(i >= 256 for seq in ids for i in seq), "kit self-check: merges are used"
    for s, seq in zip(strings, ids):
        assert reference.run(apply, "bpe_decode", [seq, merges], {})["out"] == s, "kit self-check: round trip"
    got = [student.run(apply, "bpe_decode", [seq, merges], {})["out"] for seq in ids]
    for s, seq, g in zip(strings, ids, got):
        expect_equal(g, s, what=f"bpe_decode(bpe_encode({short(s)}), merges) with {len(merges)} merges "
                                f"learned on {trained_on}; ids {ids_text(seq)}")


# -------------------------------------------------------------- lm_examples

# (number of tokens, context_len, stride or None): windows start at 0, stride, ... while start + T + 1 <= n
LM_CASES = [
    (20, 4, None),    # 4 windows (16 + 5 > 20)
    (21, 4, None),    # 5 windows, the last one fits exactly
    (20, 4, 2),       # overlapping: starts 0, 2, ..., 14
    (20, 3, 5),       # stride > context_len: tokens skipped
    (23, 5, 3),
    (10, 1, None),    # 9 windows of one token
    (10, 9, 1),       # 1 window
    (5, 4, None),     # exactly one window
    (4, 4, None),     # too short: shape [0, 4]
    (2, 6, 2),        # too short
    (0, 3, None),     # empty
]
LM_IDS = [f"n{n}-T{t}-s{s}" for n, t, s in LM_CASES]


def lm_tokens(n, seed=0):
    """Distinct random ids, so that a shifted or misplaced window cannot match by chance."""
    g = gen(seed)
    return (torch.randperm(1000, generator=g)[:n] + 3).tolist()


def check_lm(student, reference, tokens, context_len, stride, what):
    kwargs = {} if stride is None else {"stride": stride}
    got = student.run(apply, "lm_examples", [tokens, context_len], kwargs)
    want = reference.run(apply, "lm_examples", [tokens, context_len], kwargs)
    n, step = len(tokens), stride or context_len
    windows = (n - context_len - 1) // step + 1 if n >= context_len + 1 else 0    # closed form
    assert tuple(want["out"][0].shape) == (windows, context_len), "kit self-check: number of windows"
    call = f"lm_examples({what}, {context_len}{'' if stride is None else f', stride={stride}'})"
    if not isinstance(got["out"], (tuple, list)) or len(got["out"]) != 2:
        expect_equal(got["out"], want["out"], what=f"{call}: should return (inputs, targets)")
    expect_equal(got["out"][0], want["out"][0], what=f"{call}: inputs")
    expect_equal(got["out"][1], want["out"][1], what=f"{call}: targets (inputs shifted by one)")
    expect_equal(got["args_after"], [tokens, context_len], what=f"{call}: the tokens after the call (must not change)")


@pytest.mark.exercise("ch6.tokenizer.lm_examples")
@pytest.mark.parametrize("n,context_len,stride", LM_CASES, ids=LM_IDS)
def test_lm_examples_list_input(student, reference, n, context_len, stride):
    tokens = lm_tokens(n)
    check_lm(student, reference, tokens, context_len, stride, f"tokens (a list of {n} ints)")


@pytest.mark.exercise("ch6.tokenizer.lm_examples")
@pytest.mark.parametrize("n,context_len,stride", [LM_CASES[i] for i in (0, 1, 2, 3, 8)],
                         ids=[LM_IDS[i] for i in (0, 1, 2, 3, 8)])
@pytest.mark.parametrize("token_dtype", ["int64", "int32"])
def test_lm_examples_tensor_input(student, reference, n, context_len, stride, token_dtype, device):
    tokens = torch.tensor(lm_tokens(n, seed=1), dtype=getattr(torch, token_dtype), device=device)
    check_lm(student, reference, tokens, context_len, stride, f"tokens[{n}] ({token_dtype} tensor on {device})")


@pytest.mark.exercise("ch6.tokenizer.lm_examples")
def test_lm_examples_by_hand(student):
    tokens = list(range(10))
    cases = [((3,), {}, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]),
             ((3,), {"stride": None}, [[0, 1, 2], [3, 4, 5], [6, 7, 8]]),
             ((4,), {"stride": 2}, [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]])]
    got = [student.run(apply, "lm_examples", [tokens, *args], kwargs)["out"]
           for args, kwargs, _ in cases]
    for (args, kwargs, rows), g in zip(cases, got):
        call = f"lm_examples(list(range(10)), {args[0]}{''.join(f', {k}={v}' for k, v in kwargs.items())})"
        want_in = torch.tensor(rows, dtype=torch.int64)
        expect_equal(g[0], want_in, what=f"{call}: inputs")
        expect_equal(g[1], want_in + 1, what=f"{call}: targets")


@pytest.mark.exercise("ch6.tokenizer.lm_examples")
@pytest.mark.condition
@pytest.mark.parametrize("context_len,kwargs", [(0, {}), (3, {"stride": 0}), (0, {"stride": 2})],
                         ids=["context0", "stride0", "context0-stride2"])
def test_lm_examples_rejects_invalid_sizes(student, context_len, kwargs):
    got = student.run(raises, "lm_examples", [lm_tokens(12), context_len], kwargs)
    call = call_text("lm_examples", "tokens[12]", str(context_len), kwargs=kwargs)
    expect_equal(got, "raised", what=f"{call} (must raise)")


@pytest.mark.exercise("ch6.tokenizer.lm_examples")
@pytest.mark.condition
def test_lm_examples_empty_result_follows_the_input_device(student):
    """Too few tokens on the `meta` device: an empty result made without `device=` shows up, with or
    without a GPU. (Only the empty case: stacking meta tensors costs seconds of one-time imports.)"""
    got = run_on_meta(student, apply, lambda device: ("lm_examples", [torch.arange(4, device=device), 4], {}))
    want = torch.empty(0, 4, dtype=torch.int64, device="meta")
    for i, name in enumerate(["inputs", "targets"]):
        expect_equal(got["out"][i], want, what=f"lm_examples(tokens[4] on the meta device, 4): {name} "
                                               "(no window fits: shape [0, 4], on the device of tokens)")
