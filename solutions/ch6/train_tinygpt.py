"""Milestone: train your TinyGPT on a small text, then let it write.

When the chapter is done, run (a minute at most on a laptop CPU):

    python assignments/ch6/train_tinygpt.py

It uses your CharTokenizer and lm_examples (tokenizer.py), TinyGPT and
next_token_loss (transformer.py, with your attention, positional and kv_cache
parts) and generate (sampling.py). You should see the loss fall from about
ln(vocab size) = ln(37) = 3.6 to under 0.5 (the model learns the text by heart:
it is small), then a sample that reads like the log of a lighthouse keeper,
generated with the KV cache, and a check that greedy decoding gives the same
text with and without the cache. `--steps 100` for a quicker look.
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


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    text = (HERE / "data" / "lighthouse.txt").read_text()
    tok = CharTokenizer(text)
    inputs, targets = lm_examples(tok.encode(text), args.context, stride=4)
    prompt = "The keeper"
    if len(prompt) + args.new_tokens > args.context:
        raise SystemExit(f"--new-tokens: at most {args.context - len(prompt)} (the model sees {args.context} positions)")
    model = TinyGPT(tok.vocab_size, d_model=64, nhead=4, num_layers=2, max_len=args.context)
    print(f"{len(text)} characters, vocabulary of {tok.vocab_size}, {len(inputs)} windows of {args.context}; "
          f"TinyGPT with {sum(p.numel() for p in model.parameters()):,} parameters")
    print(f"a model that knows nothing scores ln({tok.vocab_size}) = {math.log(tok.vocab_size):.2f}")

    start = time.perf_counter()
    losses = train(model, inputs, targets, args.steps, args.batch, args.lr, g)
    print(f"trained in {time.perf_counter() - start:.1f} s: loss {losses[0]:.3f} -> {losses[-1]:.3f}")

    model.eval()
    idx = torch.tensor([tok.encode(prompt)])
    with torch.no_grad():
        sampled = generate(model, idx, args.new_tokens, temperature=0.8, top_k=10, generator=g, use_cache=True)
        timings = {}
        for use_cache in (True, False):
            start = time.perf_counter()
            timings[use_cache] = generate(model, idx, args.new_tokens, temperature=0, use_cache=use_cache)
            timings[use_cache] = (timings[use_cache], time.perf_counter() - start)
    print("\n--- sample (temperature 0.8, top-k 10, KV cache on) ---")
    print(tok.decode(sampled[0].tolist()))
    (greedy_cached, t_cached), (greedy_full, t_full) = timings[True], timings[False]
    same = torch.equal(greedy_cached, greedy_full)
    print(f"\ngreedy decoding, cache on {t_cached * 1000:.0f} ms, off {t_full * 1000:.0f} ms: "
          f"{'the same text' if same else 'DIFFERENT texts: check your KV cache path'}")
    return {"losses": losses, "sample": tok.decode(sampled[0].tolist()), "cache_matches": same}


if __name__ == "__main__":
    main()
