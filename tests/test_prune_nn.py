"""The numpy trainer: gradients, kernels, masks during training, channel surgery."""

from __future__ import annotations

import numpy as np
import pytest

from cosim.prune.digits import build
from cosim.prune.nn import Conv, train
from cosim.prune.nn_kernels import col2im, im2col, maxpool2

RNG = np.random.default_rng(0)


def small_cnn():
    net = build("cnn", seed=3)
    return net


def test_im2col_and_col2im_are_adjoint():
    x = RNG.standard_normal((2, 4, 4, 3)).astype(np.float32)
    y = RNG.standard_normal((2 * 16, 27)).astype(np.float32)
    lhs = float((im2col(x, 3, 1) * y).sum())
    rhs = float((x * col2im(y, 2, 4, 4, 3, 3, 1)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-4)


def test_im2col_column_order_is_channel_major():
    x = np.zeros((1, 3, 3, 2), dtype=np.float32)
    x[0, 1, 1, 1] = 7  # channel 1 at the centre
    cols = im2col(x, 3, 1)
    centre_row = 4  # output position (1, 1)
    assert cols[centre_row, 1 * 9 + 4] == 7 and cols[centre_row].sum() == 7


def test_maxpool_picks_the_max():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    out, _ = maxpool2(x)
    assert out[0, :, :, 0].tolist() == [[5, 7], [13, 15]]


def test_gradients_match_finite_differences():
    net = small_cnn()
    x = RNG.random((4, 8, 8, 1)).astype(np.float32)
    y = np.array([0, 3, 5, 9])
    for l in net.weighted():  # float64 for a clean numerical check
        l.w = l.w.astype(np.float64)
        l.b = RNG.standard_normal(l.b.shape) * 0.1
    _, grads = net.loss_and_grads(x.astype(np.float64), y)
    for name, idx in (("conv2", (3, 5, 1, 2)), ("fc1", (7, 100)), ("conv1", (0, 0, 1, 1))):
        l = net.layer(name)
        eps = 1e-5
        old = l.w[idx]
        l.w[idx] = old + eps
        up = net.loss(x.astype(np.float64), y)
        l.w[idx] = old - eps
        down = net.loss(x.astype(np.float64), y)
        l.w[idx] = old
        assert grads[name][0][idx] == pytest.approx((up - down) / (2 * eps), rel=1e-3, abs=1e-7)


def test_masked_weights_stay_zero_while_training():
    net = build("mlp", seed=0)
    mask = RNG.random((1, 128, 64)) < 0.3
    net.set_masks({"fc1": mask})
    x = RNG.random((64, 8, 8, 1)).astype(np.float32)
    y = RNG.integers(0, 10, 64)
    train(net, x, y, epochs=2)
    assert np.all(net.layer("fc1").w[~mask[0]] == 0)
    assert np.any(net.layer("fc1").w[mask[0]] != 0)


def test_keep_channels_equals_zeroing_those_filters():
    net = small_cnn()
    x = RNG.random((5, 8, 8, 1)).astype(np.float32)
    zeroed = net.clone()
    drop = [1, 4, 6]
    for c in drop:  # a zero filter with zero bias gives relu(0) = 0: the consumer sees nothing
        zeroed.layer("conv3").w[c] = 0
        zeroed.layer("conv3").b[c] = 0
    keep = np.setdiff1d(np.arange(64), drop)
    net.keep_channels("conv3", keep)
    assert net.layer("conv3").w.shape[0] == 61 and net.layer("fc1").w.shape[1] == 61 * 4
    assert np.allclose(net.forward(x), zeroed.forward(x), atol=1e-5)


def test_training_is_deterministic():
    a, b = build("mlp", seed=1), build("mlp", seed=1)
    x = RNG.random((100, 8, 8, 1)).astype(np.float32)
    y = RNG.integers(0, 10, 100)
    assert train(a, x, y, epochs=2, seed=4) == train(b, x, y, epochs=2, seed=4)
    assert np.array_equal(a.layer("fc2").w, b.layer("fc2").w)
    assert isinstance(build("cnn").layers[0], Conv)
