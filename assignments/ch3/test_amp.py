"""Public tests for ch3/amp.py: run `pytest assignments/ch3`.

Quick checks of one or two iterations you can work out by hand (scales are powers of two, so
every number below is exact). The hidden tests go further: 40-iteration training runs against
torch.amp.GradScaler with inf and NaN planted on chosen iterations, growth and backoff many times,
two param groups, float32 and float64, CPU and CUDA, two optimizers sharing one scaler.
"""
import pytest
import torch

from ch3 import amp


class PlainSGD(torch.optim.Optimizer):
    """p -= lr * p.grad. (torch.optim.SGD would do as well; its first step costs a second here.)"""

    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(group["lr"] * p.grad)


def setup(grad, init_scale=8.0, **kwargs):
    """A parameter p = [1, 2] whose .grad is `grad` (already scaled), SGD(lr=0.1) and a scaler."""
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    p.grad = torch.tensor(grad)
    opt = PlainSGD([p], lr=0.1)
    return p, opt, amp.GradScaler(device="cpu", init_scale=init_scale, **kwargs)


def test_scale_multiplies_by_the_scale():
    scaler = amp.GradScaler(device="cpu", init_scale=8.0)
    assert scaler.get_scale() == 8.0
    torch.testing.assert_close(scaler.scale(torch.tensor(1.5)), torch.tensor(12.0))


def test_unscale_then_step():
    p, opt, scaler = setup([4.0, -8.0])           # the true gradient times 8
    scaler.unscale_(opt)
    torch.testing.assert_close(p.grad, torch.tensor([0.5, -1.0]))
    scaler.step(opt)                              # already unscaled: not divided again
    torch.testing.assert_close(p.detach(), torch.tensor([0.95, 2.1]))


def test_step_unscales_by_itself():
    p, opt, scaler = setup([4.0, -8.0])
    scaler.step(opt)
    torch.testing.assert_close(p.grad, torch.tensor([0.5, -1.0]))
    torch.testing.assert_close(p.detach(), torch.tensor([0.95, 2.1]))


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_inf_or_nan_skips_the_step_and_backs_off(bad):
    p, opt, scaler = setup([bad, 8.0])
    assert scaler.step(opt) is None
    torch.testing.assert_close(p.detach(), torch.tensor([1.0, 2.0]))   # not moved
    scaler.update()
    assert scaler.get_scale() == 4.0                                   # 8 * backoff_factor 0.5


def test_growth_after_growth_interval_clean_iterations():
    p, opt, scaler = setup([8.0, 8.0], growth_interval=2)
    scales = []
    for _ in range(4):
        p.grad = torch.tensor([8.0, 8.0]) * scaler.get_scale() / 8.0
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    assert scales == [8.0, 16.0, 16.0, 32.0]


def test_update_with_new_scale():
    p, opt, scaler = setup([8.0, 8.0])
    scaler.step(opt)
    scaler.update(2.0)
    assert scaler.get_scale() == 2.0


def test_unscale_twice_raises():
    p, opt, scaler = setup([8.0, 8.0])
    scaler.unscale_(opt)
    with pytest.raises(Exception):
        scaler.unscale_(opt)


def test_disabled_scaler_passes_through():
    p, opt, scaler = setup([float("inf"), 1.0], enabled=False)
    x = torch.tensor(3.0)
    assert scaler.scale(x) is x
    assert scaler.get_scale() == 1.0
    scaler.step(opt)                              # never skipped when disabled
    assert p[0].item() == float("-inf")
