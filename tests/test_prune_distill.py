"""Knowledge distillation (Hinton et al. 2015): the loss, its gradient, parsing, and fine-tuning with it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cosim.errors import CosimError
from cosim.prune.distill import Distill, distill_loss_and_dlogits, parse_distill


def _ce(z, y):
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def test_alpha_zero_is_plain_cross_entropy():
    rng = np.random.default_rng(0)
    zs, zt = rng.standard_normal((5, 10)), rng.standard_normal((5, 10))
    y = rng.integers(0, 10, 5)
    loss, _ = distill_loss_and_dlogits(zs, zt, y, Distill(4.0, 0.0))
    assert loss == pytest.approx(_ce(zs, y))


def test_a_student_equal_to_its_teacher_has_no_soft_loss():
    z = np.array([[2.0, 0.0, -1.0]])
    loss, d = distill_loss_and_dlogits(z, z, np.array([0]), Distill(3.0, 1.0))
    assert loss == pytest.approx(0.0, abs=1e-9) and np.allclose(d, 0.0)


def test_hand_checked_soft_gradient():
    # T = 1, α = 1: dL/dz = softmax(z_s) − softmax(z_t); two classes, z_s = (0, 0), z_t = (ln 3, 0)
    d = distill_loss_and_dlogits(np.zeros((1, 2)), np.array([[np.log(3.0), 0.0]]), np.array([1]), Distill(1.0, 1.0))[1]
    assert np.allclose(d, [[0.5 - 0.75, 0.5 - 0.25]])


@settings(max_examples=30, deadline=None)
@given(t=st.floats(0.5, 8.0), alpha=st.floats(0.0, 1.0), seed=st.integers(0, 1000))
def test_gradient_matches_finite_differences(t, alpha, seed):
    rng = np.random.default_rng(seed)
    zs, zt = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)) * 2
    y = rng.integers(0, 4, 3)
    spec = Distill(t, alpha)
    _, d = distill_loss_and_dlogits(zs, zt, y, spec)
    eps = 1e-6
    for i, j in ((0, 0), (1, 2), (2, 3)):
        up, down = zs.copy(), zs.copy()
        up[i, j] += eps
        down[i, j] -= eps
        num = (distill_loss_and_dlogits(up, zt, y, spec)[0] - distill_loss_and_dlogits(down, zt, y, spec)[0]) / (2 * eps)
        assert d[i, j] == pytest.approx(num, rel=1e-4, abs=1e-7)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), alpha=st.floats(0.1, 1.0))
def test_soft_gradient_at_high_temperature_is_logit_matching_independent_of_t(seed, alpha):
    # Hinton et al. 2015 §2.1: for T large against the logits, with zero-mean logits, the soft term's
    # gradient is (z_s − z_t) / (N T²) per class; the T² factor makes it (z_s − z_t) / N whatever T is.
    rng = np.random.default_rng(seed)
    n, k = 4, 10
    zs, zt = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    zs -= zs.mean(axis=1, keepdims=True)
    zt -= zt.mean(axis=1, keepdims=True)
    y = rng.integers(0, k, n)
    want = alpha * (zs - zt) / (k * n)  # d/dz of α·T²·KL, softmax(z/T) ≈ (1 + z/T) / k
    soft = [distill_loss_and_dlogits(zs, zt, y, Distill(t, alpha))[1]
            - (1 - alpha) * distill_loss_and_dlogits(zs, zt, y, Distill(t, 0.0))[1] for t in (200.0, 800.0)]
    errs = [np.abs(d - want).max() for d in soft]
    assert errs[0] <= 0.02 * np.abs(want).max() and errs[1] <= errs[0] / 2  # error shrinks as 1/T


@pytest.mark.parametrize("text, want", [("4,0.7", Distill(4.0, 0.7)), ("T=2,alpha=0.5", Distill(2.0, 0.5)),
                                        ("none", None), (None, None)])
def test_parse(text, want):
    assert parse_distill(text) == want


@pytest.mark.parametrize("text, fragment", [("4", "T,ALPHA"), ("a,b", "T,ALPHA"), ("0,0.5", "temperature"),
                                            ("4,1.5", "alpha")])
def test_bad_text_names_the_field(text, fragment):
    with pytest.raises(CosimError, match=fragment):
        parse_distill(text)


def test_distilled_fine_tuning_runs_and_is_labelled():
    from cosim.prune.schedules import Schedule
    from cosim.prune.workflow import prune_workload

    run = prune_workload("digits-mlp", "unstructured:0.8", schedule=Schedule("one-shot", finetune_epochs=2),
                         distill=Distill(4.0, 0.7))
    assert run.accuracy_kind == "measured" and run.accuracy_after > 0.8
    assert run.metadata()["distill"] == {"temperature": 4.0, "alpha": 0.7}
    assert any("distillation" in n for n in run.notes)


def test_distillation_needs_training_data():
    from cosim.prune.workflow import prune_workload

    with pytest.raises(CosimError, match="--distill needs training data"):
        prune_workload("mlp", "2:4", distill=Distill(4.0, 0.7))
