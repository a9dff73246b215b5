"""Milestone: train your TinyGPT on a small text, then let it write.

When the chapter is done, run (about half a minute on a CPU):

    python assignments/ch6/train_tinygpt.py

It uses your CharTokenizer and lm_examples (tokenizer.py), TinyGPT and
next_token_loss (transformer.py, with your attention, positional and kv_cache
parts) and generate (sampling.py). You should see the loss fall from about
ln(vocab size) = ln(37) = 3.6 to under 0.5 (the model learns the text by heart:
it is small), then a sample that reads like the log of a lighthouse keeper,
generated with the KV cache. Then greedy decoding with and without the cache:
the same text both ways, how many tokens your model was fed each way (with the
cache, only the newest token at each step) and how long each took. On a text
this short a step of this small model costs mostly a fixed overhead, so the time
the cache saves shows in a longer generation: 500 tokens, by an untrained TinyGPT
of the same size. `--steps 100` for a quicker look, `--long-tokens 0` to skip
the longer generation.

Measured with the kit's solutions on a busy 2-core machine (load average 4-7):
23-33 s in all (training 18-26 s); greedy decoding 1.5-1.7x faster with the
cache for 54 tokens, 9-15x faster for the 500 tokens. torch runs on one CPU
thread (`--threads`): this model is too small to gain from more, and on that
machine two threads made each training step 10x slower (230 s in all) by
waiting for each other.
"""
import argparse
import math
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # so that `import ch6` finds this folder

from ch6.sampling import generate  # noqa: E402
from ch6.tokenizer import CharTokenizer, lm_examples  # noqa: E402
from ch6.transformer import TinyGPT, next_token_loss  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--context", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--new-tokens", type=int, default=54)
    p.add_argument("--long-tokens", type=int, default=500,
                   help="length of the longer generation that shows what the cache saves (0: none)")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for torch (this model is too small to gain from more than one)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def train(model, inputs, targets, steps, batch, lr, generator):
    """AdamW on random batches of windows; returns the losses of every step."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    losses = []
    model.train()
    for step in range(steps):
        rows = torch.randint(len(inputs), (batch,), generator=generator)
        loss = next_token_loss(model(inputs[rows]), targets[rows])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        losses.append(loss.item())
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.3f}")
    return losses


def fed_tokens_and_seconds(model, run):
    """(what `run()` returned, the number of tokens fed to `model` during it, the seconds it took)."""
    fed = [0]

    def count(module, args, kwargs):
        fed[0] += (args[0] if args else kwargs["idx"]).shape[1]

    handle = model.register_forward_pre_hook(count, with_kwargs=True)
    try:
        start = time.perf_counter()
        result = run()
        return result, fed[0], time.perf_counter() - start
    finally:
        handle.remove()


def greedy(model, idx, new_tokens, use_cache):
    """(tokens, tokens fed to the model, seconds) of greedy decoding with or without the KV cache."""
    return fed_tokens_and_seconds(model, lambda: generate(model, idx, new_tokens, temperature=0, use_cache=use_cache))


def speed_words(seconds_cached, seconds_full):
    """How the two times compare, in words: only what the figures say."""
    ratio = seconds_full / seconds_cached
    if ratio >= 1.2:
        return f"{ratio:.1f}x faster with the cache"
    if ratio > 1 / 1.2:
        return "about as fast either way"
    return f"{1 / ratio:.1f}x slower with the cache"


def fed_words(fed, expected, how):
    """'N tokens fed to the model (how)', and what was expected when it is not N."""
    return f"{fed:7,} tokens fed to the model ({how if fed == expected else f'expected {expected:,}: {how}'})"


def compare_greedy_decoding(model, idx, new_tokens):
    """Greedy decoding with and without the KV cache: prints whether the texts agree, how many tokens
    the model was fed and how long each took; returns those figures."""
    cached, fed_cached, t_cached = greedy(model, idx, new_tokens, use_cache=True)
    full, fed_full, t_full = greedy(model, idx, new_tokens, use_cache=False)
    prompt = idx.shape[1]
    same = torch.equal(cached, full)
    print(f"  {'the same text both ways' if same else 'DIFFERENT texts: check your KV cache path'}")
    with_cache = fed_words(fed_cached, prompt + new_tokens - 1, "the prompt, then only the newest token at each step")
    without = fed_words(fed_full, sum(range(prompt, prompt + new_tokens)), "the whole text so far at each step")
    print(f"  with the cache: {with_cache}, {t_cached * 1000:6.0f} ms")
    print(f"  without it:     {without}, {t_full * 1000:6.0f} ms")
    fewer = f"{fed_full / fed_cached:.0f}x fewer tokens fed" if fed_cached < fed_full else "no fewer tokens fed"
    print(f"  {fewer}; {speed_words(t_cached, t_full)}")
    return {"same": same, "fed_cached": fed_cached, "fed_full": fed_full,
            "seconds_cached": t_cached, "seconds_full": t_full}


def longer_generation(vocab_size, idx, new_tokens):
    """compare_greedy_decoding on a generation longer than the trained model allows: an untrained
    TinyGPT of the same size with room for it (the time does not depend on the weights)."""
    max_len = idx.shape[1] + new_tokens
    print(f"\n--- a longer generation: {new_tokens} tokens, by an untrained TinyGPT of the same size with room "
          f"for {max_len} positions (the time does not depend on the weights) ---")
    model = TinyGPT(vocab_size, d_model=64, nhead=4, num_layers=2, max_len=max_len).eval()
    return compare_greedy_decoding(model, idx, new_tokens)


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    text = (HERE / "data" / "lighthouse.txt").read_text()
    tok = CharTokenizer(text)
    inputs, targets = lm_examples(tok.encode(text), args.context, stride=4)
    prompt = "The keeper"
    if len(prompt) + args.new_tokens > args.context:
        raise SystemExit(f"--new-tokens: at most {args.context - len(prompt)} "
                         f"(the model sees {args.context} positions)")
    model = TinyGPT(tok.vocab_size, d_model=64, nhead=4, num_layers=2, max_len=args.context)
    print(f"{len(text)} characters, vocabulary of {tok.vocab_size}, {len(inputs)} windows of {args.context}; "
          f"TinyGPT with {sum(p.numel() for p in model.parameters()):,} parameters")
    print(f"a model that knows nothing scores ln({tok.vocab_size}) = {math.log(tok.vocab_size):.2f}")

    start = time.perf_counter()
    losses = train(model, inputs, targets, args.steps, args.batch, args.lr, g)
    training_seconds = time.perf_counter() - start
    print(f"trained in {training_seconds:.1f} s: loss {losses[0]:.3f} -> {losses[-1]:.3f}")

    model.eval()
    idx = torch.tensor([tok.encode(prompt)])
    with torch.no_grad():
        sampled = generate(model, idx, args.new_tokens, temperature=0.8, top_k=10, generator=g, use_cache=True)
        print("\n--- sample (temperature 0.8, top-k 10, KV cache on) ---")
        print(tok.decode(sampled[0].tolist()))
        print(f"\n--- greedy decoding of {args.new_tokens} tokens after the prompt, with and without your KV cache ---")
        short = compare_greedy_decoding(model, idx, args.new_tokens)
        long = longer_generation(tok.vocab_size, idx, args.long_tokens) if args.long_tokens else None
    print(f"\ndone in {time.perf_counter() - started:.0f} s")
    return {"losses": losses, "training_seconds": training_seconds, "sample": tok.decode(sampled[0].tolist()),
            "short": short, "long": long, "cache_matches": short["same"] and (long is None or long["same"])}


if __name__ == "__main__":
    try:
        main()
    except NotImplementedError as error:     # a function of yours not written yet: one line names it
        from conftest import unfinished_line  # assignments/conftest.py, which `pytest assignments` uses too
        raise SystemExit(unfinished_line(error)) from None
