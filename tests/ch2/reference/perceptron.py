"""Reference for ch2/perceptron.py: an independent, straightforward loop in Python floats."""
import torch


def perceptron_train(x, y, epochs, lr=1.0):
    rows = x.detach().cpu().double().tolist()
    labels = [float(v) for v in y.detach().cpu().tolist()]
    dim = x.shape[1]
    w = [0.0] * dim
    b = 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for row, label in zip(rows, labels):
            activation = sum(wj * xj for wj, xj in zip(w, row)) + b
            if label * activation <= 0:
                w = [wj + lr * label * xj for wj, xj in zip(w, row)]
                b = b + lr * label
                count += 1
        mistakes.append(count)
    return torch.tensor(w, dtype=x.dtype, device=x.device), b, mistakes
