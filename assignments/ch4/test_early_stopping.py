"""Public tests for ch4/early_stopping.py: run `pytest assignments/ch4`.

Quick checks you can follow by hand. The hidden tests go further: every attribute after every
step, min_delta, mode 'max', longer and random sequences.
"""
import pytest

from ch4.early_stopping import EarlyStopping


def run(stopper, values):
    """What step() returned for each value."""
    return [stopper.step(v) for v in values]


def test_patience_2():
    stopper = EarlyStopping(2)
    assert stopper.best_step is None
    #                  first  better  equal  worse  better  worse  worse  worse
    returned = run(stopper, [1.0, 0.5, 0.5, 0.75, 0.25, 0.5, 0.5, 0.75])
    assert returned == [False, False, False, True, False, False, True, True]
    assert (stopper.best, stopper.best_step, stopper.num_bad_steps) == (0.25, 4, 3)


def test_min_delta_and_mode_max():
    stopper = EarlyStopping(1, min_delta=0.25, mode="max")
    # 0.5 beats 0.25 by exactly min_delta: not an improvement; 0.75 beats it by more
    assert run(stopper, [0.25, 0.5, 0.75]) == [False, True, False]
    assert (stopper.best, stopper.best_step, stopper.num_bad_steps) == (0.75, 2, 0)


def test_invalid_arguments_raise():
    EarlyStopping(1, mode="max")   # valid
    with pytest.raises(Exception):
        EarlyStopping(0)
    with pytest.raises(Exception):
        EarlyStopping(3, mode="maximize")
