# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""Gradient accumulation: one optimizer step on a batch too large to push through the model at
once, computed in micro-batches whose gradients add up to the full batch's.
"""


def accumulated_step(model, loss_fn, batch, micro_batch_size, optimizer):
    """One training step on `batch = (x, y)`, run in micro-batches of at most `micro_batch_size` rows.

    `x[N, ...]` and `y[N, ...]` hold N samples along dim 0. `loss_fn(model(xb), yb)` returns the
    MEAN loss over the rows of a micro-batch (`xb`, `yb`: the same rows of x and y). The step must
    do what one full-batch step would:

        optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); optimizer.step()

    but with the model and `loss_fn` only ever seeing micro-batches:

    1. `optimizer.zero_grad()` first: gradients left over from earlier steps must not leak in.
    2. Split the N rows into micro-batches of at most `micro_batch_size` rows, each row in exactly
       one of them (contiguous slices `x[i:i + micro_batch_size]` in order are the natural choice;
       the last one is shorter when N is not a multiple of `micro_batch_size`, and there is a
       single micro-batch when `micro_batch_size >= N`).
    3. For each micro-batch of n rows, backpropagate its mean loss weighted by n / N: the
       gradients that `.backward()` adds up in `.grad` are then exactly the gradient of the
       full-batch mean loss. (Dividing by the number of micro-batches instead is right only when
       they all have the same size.)
    4. `optimizer.step()` once, after all micro-batches.

    Returns the full-batch mean loss as a Python float: the same weighted sum of the micro-batch
    losses (`loss.item()`). The model's parameters hold the gradient of the full-batch mean loss
    in `.grad` afterwards. `x` and `y` are left unchanged.

    Hint: `.backward()` on a micro-batch adds to `.grad`; it never replaces it.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
