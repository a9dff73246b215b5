"""A second correct ch2/perceptron.py: augmented weights [w, b] updated in place."""
import torch


def perceptron_train(x, y, epochs, lr=1.0):
    n = x.shape[0]
    augmented = torch.cat([x, torch.ones(n, 1, dtype=x.dtype, device=x.device)], dim=1)
    labels = y.to(x.dtype)
    wb = torch.zeros(x.shape[1] + 1, dtype=x.dtype, device=x.device)
    mistakes = []
    for _ in range(epochs):
        errors = 0
        for xi, yi in zip(augmented, labels):
            if not bool(yi * (wb @ xi) > 0):
                wb.add_(xi, alpha=lr * float(yi))
                errors += 1
        mistakes.append(errors)
    return wb[:-1].clone(), float(wb[-1]), mistakes
