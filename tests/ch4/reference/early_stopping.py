"""Reference for ch4/early_stopping.py: an independent implementation (torch has no counterpart).

It keeps the whole history of values and recomputes the answer from it: the best so far is the
last value that beat the best before it by more than `min_delta` (the first value always does),
and the number of bad steps is the distance from that step to the current one. The hidden suite
cross-checks it against a second formulation, a single forward scan written in the test itself.
"""


class EarlyStopping:
    def __init__(self, patience, min_delta=0.0, mode="min"):
        if not patience >= 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.history = []
        self.best = None
        self.best_step = None
        self.num_bad_steps = 0

    def _beats(self, value, best):
        sign = 1.0 if self.mode == "max" else -1.0   # 'min': compare negated values
        return sign * value > sign * best + self.min_delta

    def step(self, value):
        self.history.append(value)
        best_step = 0
        for i in range(1, len(self.history)):
            if self._beats(self.history[i], self.history[best_step]):
                best_step = i
        self.best_step = best_step
        self.best = self.history[best_step]
        self.num_bad_steps = len(self.history) - 1 - best_step
        return self.num_bad_steps >= self.patience
