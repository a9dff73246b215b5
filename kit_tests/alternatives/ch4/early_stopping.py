"""A differently written correct ch4/early_stopping.py (kit_tests/test_chapters.py gives it full marks).

It counts steps in a list of all values seen, computes the margin by which a value beats the best
as a signed difference, and stores `best` as a float.
"""


class EarlyStopping:
    def __init__(self, patience, min_delta=0.0, mode="min"):
        if patience < 1 or mode not in {"min": 1, "max": -1}:
            raise ValueError("need patience >= 1 and mode 'min' or 'max'")
        self.patience = patience
        self.min_delta = min_delta
        self.direction = {"min": 1, "max": -1}[mode]   # +1: lower is better
        self.seen = []
        self.best = None
        self.best_step = None
        self.num_bad_steps = 0

    def step(self, value):
        self.seen.append(value)
        gain = None if self.best is None else self.direction * (self.best - value)
        if gain is None or gain > self.min_delta:
            self.best = float(value)
            self.best_step = len(self.seen) - 1
            self.num_bad_steps = 0
        else:
            self.num_bad_steps = self.num_bad_steps + 1
        stop = self.num_bad_steps >= self.patience
        return stop
