"""Public tests for ch6/tokenizer.py: run `pytest assignments/ch6`.

Small examples you can work out by hand. The hidden tests go further: ties
between pairs, overlapping pairs, texts in many scripts and emoji, merges used
on text they were not trained on, round trips on random Unicode strings, many
window sizes and strides, tensors on CPU and CUDA.
"""
import pytest
import torch

from ch6 import tokenizer as tk


def test_char_tokenizer_sorted_vocabulary():
    tok = tk.CharTokenizer("hello")
    assert tok.vocab_size == 4               # e h l o
    assert tok.encode("hello") == [1, 0, 2, 2, 3]
    assert tok.decode([3, 2, 0]) == "ole"
    assert tok.encode("") == []


def test_char_tokenizer_unknown_character_raises():
    with pytest.raises(ValueError):
        tk.CharTokenizer("hello").encode("help")


def test_train_bpe_small_example():
    # aa occurs 4 times (overlaps count); then (256, 97) and (97, 98) tie: (256, 97) is seen first
    assert tk.train_bpe("aaabdaaabac", 259) == [(97, 97), (256, 97), (257, 98)]


def test_train_bpe_overlapping_pairs_and_stopping():
    assert tk.train_bpe("aaaa", 300) == [(97, 97), (256, 256)]   # stops: one token left
    assert tk.train_bpe("aaaa", 256) == []


def test_bpe_encode_applies_merges_in_order():
    assert tk.bpe_encode("aaa", [(97, 97), (256, 97)]) == [257]
    assert tk.bpe_encode("abc", [(97, 98), (98, 99)]) == [256, 99]
    assert tk.bpe_encode("é", []) == [195, 169]                   # UTF-8 bytes


def test_bpe_decode():
    merges = [(104, 105), (256, 33)]                              # "hi", "hi!"
    assert tk.bpe_decode([257, 32, 256], merges) == "hi! hi"
    assert tk.bpe_decode([195, 169], []) == "é"


def test_bpe_round_trip():
    text = "naïve café 🙂 naïve café"
    merges = tk.train_bpe(text, 270)
    ids = tk.bpe_encode(text, merges)
    assert len(ids) < len(text.encode("utf-8"))
    assert tk.bpe_decode(ids, merges) == text


def test_lm_examples():
    inputs, targets = tk.lm_examples(list(range(10)), 3)
    assert inputs.dtype == torch.int64 and targets.dtype == torch.int64
    assert inputs.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert targets.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_lm_examples_stride_and_too_short():
    inputs, targets = tk.lm_examples(torch.arange(10), 4, stride=2)
    assert inputs[:, 0].tolist() == [0, 2, 4]
    inputs, targets = tk.lm_examples([1, 2, 3], 3)
    assert inputs.shape == (0, 3) and targets.shape == (0, 3)
