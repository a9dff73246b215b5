# Generated from solutions/ by `autograder generate`: fill in the parts marked YOUR CODE HERE.
# Not allowed in any exercise (scores 0), besides what each docstring says: sys.setprofile,
#   sys.settrace, sys.getprofile, threading.setprofile, threading.settrace,
#   threading.Thread.start, _thread.start_new_thread, ctypes, autograder, the attributes
#   .__self__, .tb_frame, .f_back, .f_locals, .f_globals, .gi_frame.
"""The perceptron (Rosenblatt, 1958): the first trainable neural network.

A linear classifier `sign(w . x + b)` trained one sample at a time: whenever
a sample is on the wrong side of the boundary (or exactly on it), move the
boundary towards it. On linearly separable data this stops making mistakes
after finitely many updates (Novikoff's theorem); on data like XOR, which no
line separates, it never does.
"""
import torch


def perceptron_train(x, y, epochs, lr=1.0):
    """Train a perceptron with the classic mistake-driven rule.

    Args:
        x: `[N, D]` float tensor (float32 or float64, any device), one sample per row.
        y: `[N]` labels, each -1 or +1 (an integer or float tensor, on x's device).
        epochs: the number of passes over the data (an int >= 0).
        lr: the step size (> 0).

    The algorithm: `w` (zeros, `[D]`) and `b` (0) start at zero. In every
    epoch, visit the samples in order i = 0, 1, ..., N-1; sample i is a mistake
    when `y[i] * (w . x[i] + b) <= 0` (a point exactly on the boundary counts,
    so the very first sample is always a mistake), and then
        w <- w + lr * y[i] * x[i]
        b <- b + lr * y[i]
    (the update takes effect before the next sample is visited). All `epochs`
    epochs run, even after an epoch without mistakes (no early stopping).

    Returns:
        (w, b, mistakes):
        w: a tensor of shape `[D]` with the dtype and device of x;
        b: the bias, a 0-d tensor (dtype and device of x) or a Python float;
        mistakes: a list of `epochs` ints, the number of mistakes (updates)
            made in each epoch, not a running total.
    x and y are not modified.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
