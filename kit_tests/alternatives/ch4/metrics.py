"""A differently written correct ch4/metrics.py (kit_tests/test_chapters.py gives it full marks):
Python loops over counts, float64 inside, pairwise AUC, ECE by comparing with bin edges, and
bisection on the NLL's derivative in 1/T for the temperature."""
import torch


def confusion_matrix(preds, targets, num_classes):
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=preds.device)
    flat = cm.view(-1)
    flat.scatter_add_(0, targets * num_classes + preds, torch.ones_like(targets))
    return cm


def _div(a, b):
    return a / b if b else 0.0


def precision_recall_f1(cm, average="macro"):
    rows = cm.tolist()
    c = len(rows)
    tp = [rows[i][i] for i in range(c)]
    support = [sum(rows[i]) for i in range(c)]
    predicted = [sum(rows[i][j] for i in range(c)) for j in range(c)]
    total = sum(support)
    if average == "micro":
        acc = _div(sum(tp), total)
        return acc, acc, acc
    p = [_div(tp[i], predicted[i]) for i in range(c)]
    r = [_div(tp[i], support[i]) for i in range(c)]
    f = [_div(2 * p[i] * r[i], p[i] + r[i]) for i in range(c)]
    if average is None:
        return tuple(torch.tensor(v, dtype=torch.float32, device=cm.device) for v in (p, r, f))
    if average == "macro":
        w = [1.0 / c] * c
    elif average == "weighted":
        w = [s / total for s in support]
    else:
        raise ValueError(average)
    return tuple(torch.tensor(sum(wi * vi for wi, vi in zip(w, v)), dtype=torch.float64) for v in (p, r, f))


def roc_auc(scores, labels):
    s, y = scores.double(), labels.bool()
    pos, neg = s[y], s[~y]
    wins = (pos[:, None] > neg[None, :]).double() + 0.5 * (pos[:, None] == neg[None, :]).double()
    return wins.mean()


def average_precision(scores, labels):
    pairs = sorted(zip(scores.tolist(), labels.tolist()), key=lambda t: -t[0])
    n_pos = sum(y for _, y in pairs)
    ap, tp, seen, last_recall, i = 0.0, 0, 0, 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            tp += pairs[j][1]
            seen += 1
            j += 1
        recall = tp / n_pos
        ap += (recall - last_recall) * (tp / seen)
        last_recall, i = recall, j
    return ap


def expected_calibration_error(probs, labels, n_bins=15):
    conf, pred = probs.double().max(1)
    hits = pred.eq(labels).double()
    edges = [k / n_bins for k in range(n_bins)] + [1.0]
    ece = torch.zeros((), dtype=torch.float64, device=probs.device)
    for k in range(n_bins):
        upper = conf <= edges[k + 1] if k == n_bins - 1 else conf < edges[k + 1]
        mask = (conf >= edges[k]) & upper
        count = mask.sum()
        if count > 0:
            ece = ece + count / len(conf) * (hits[mask].mean() - conf[mask].mean()).abs()
    return ece


def fit_temperature(logits, labels):
    z = logits.double()
    z_true = z.gather(1, labels[:, None]).squeeze(1)

    def slope(beta):          # d NLL / d beta for softmax(beta * z): E_p[z] - z_true, averaged
        p = torch.softmax(beta * z, dim=1)
        return float(((p * z).sum(1) - z_true).mean())

    lo, hi = 1e-3, 1e3        # NLL is convex in beta = 1/T: its slope crosses 0 once
    for _ in range(200):
        mid = (lo * hi) ** 0.5
        if slope(mid) > 0:
            hi = mid
        else:
            lo = mid
    return 1.0 / ((lo * hi) ** 0.5)
