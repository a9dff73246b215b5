"""Early stopping: stop training once the validation metric has stopped improving.

A training loop calls `step(value)` once per evaluation (usually once per epoch) with the
validation metric, and stops when it returns True:

    stopper = EarlyStopping(patience=5)
    for epoch in range(max_epochs):
        train_one_epoch(...)
        val_loss = evaluate(...)
        if stopper.step(val_loss):
            break
    # the best model was the one of epoch stopper.best_step: keep a copy of its weights as you go

torch has no counterpart: this is plain Python.
"""


class EarlyStopping:
    """Signals when a monitored value has not improved for `patience` steps.

    `EarlyStopping(patience, min_delta=0.0, mode='min')`

    - `patience` (int >= 1): how many steps in a row without improvement are tolerated;
      `patience < 1` raises (ValueError).
    - `min_delta` (float, normally >= 0): how much better than the best so far a value must be to
      count as an improvement.
    - `mode`: 'min' (lower is better, e.g. a loss) or 'max' (higher is better, e.g. an accuracy);
      any other mode raises (ValueError).

    `step(value) -> bool`, with `value` a Python float (for a tensor, pass `loss.item()`):

    - The first value always improves. After that, a value improves when
      `value < best - min_delta` in mode 'min', and when `value > best + min_delta` in mode 'max'.
      Both are strict: a value equal to the best, or better by exactly `min_delta` (or by less),
      is not an improvement.
    - On an improvement: `best = value`, `best_step` = the index of this `step()` call (0-based:
      the first call is step 0), `num_bad_steps = 0`, and `step` returns False.
    - Otherwise: `best` and `best_step` stay as they are, `num_bad_steps` goes up by one, and
      `step` returns True when `num_bad_steps >= patience`, else False. So it returns True at the
      step where `num_bad_steps` reaches `patience` and on every later step that does not improve
      (calling `step` after a True is allowed; a later improvement resets the count and returns
      False again).

    Attributes, readable at any time:

    - `best`: the best value so far (None before the first step).
    - `best_step`: the 0-based index of the `step()` call that set `best` (None before the first
      step).
    - `num_bad_steps`: how many steps since the last improvement (0 before the first step).

    NaN values are not handled specially (every comparison with NaN is False).

    Hint: count the `step()` calls yourself; the index of the current call is the count before
    this call.
    """

    def __init__(self, patience, min_delta=0.0, mode="min"):
        ### BEGIN SOLUTION
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.best = None
        self.best_step = None
        self.num_bad_steps = 0
        self._num_steps = 0
        ### END SOLUTION

    def step(self, value):
        """Record one value; True means: stop now (see the class docstring)."""
        ### BEGIN SOLUTION
        index = self._num_steps
        self._num_steps += 1
        if self._improves(value):
            self.best = value
            self.best_step = index
            self.num_bad_steps = 0
            return False
        self.num_bad_steps += 1
        return self.num_bad_steps >= self.patience
        ### END SOLUTION

    def _improves(self, value):
        """Whether `value` is better than the best so far by more than min_delta."""
        ### BEGIN SOLUTION
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta
        ### END SOLUTION
