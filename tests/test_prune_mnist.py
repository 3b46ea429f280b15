"""Real MNIST offline: the embedded 5,000-image sample, "valid" convolutions, odd-size pooling, the
classic MNIST networks (784-128-64-10 MLP, conv32-pool-conv64-pool-conv64-fc64-fc10 CNN).

Training here is short (the MLP, a few epochs); the accuracy bars of the full-length CNN runs are
printed by scripts/bench_prune.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cosim.errors import CosimError
from cosim.prune import digits, mnist
from cosim.prune.nn import Conv, Dense, Flatten, MaxPool, Net, ReLU
from cosim.prune.nn_kernels import col2im, im2col, maxpool2, maxpool2_backward

RNG = np.random.default_rng(0)


def test_split_is_fixed_stratified_and_disjoint():
    a = mnist.load_mnist_split()
    assert a is mnist.load_mnist_split()
    assert (len(a.y_train), len(a.y_val), len(a.y_test)) == (3500, 500, 1000)
    assert a.x_train.shape[1:] == (28, 28, 1) and a.x_train.dtype == np.float32
    assert 0.0 <= a.x_test.min() and a.x_test.max() == 1.0
    # 500 images of every digit: 350 / 50 / 100 of each in the three parts
    for y, n in ((a.y_train, 350), (a.y_val, 50), (a.y_test, 100)):
        assert np.bincount(y, minlength=10).tolist() == [n] * 10
    images, _ = mnist._raw()
    flat = images.reshape(len(images), -1)
    rows = {r.tobytes(): i for i, r in enumerate(flat)}
    parts = [{rows[(x[..., 0] * 255).round().astype(np.uint8).ravel().tobytes()] for x in xs}
             for xs in (a.x_train, a.x_val, a.x_test)]
    assert sum(map(len, parts)) == 5000 and not (parts[0] & parts[2]) and not (parts[1] & parts[2])


def test_a_changed_file_fails_its_checksum(monkeypatch, tmp_path):
    bad = tmp_path / "mnist.csv.gz"
    blob = bytearray(mnist.MNIST_PATH.read_bytes())
    blob[1000] ^= 0xFF
    bad.write_bytes(bytes(blob))
    monkeypatch.setattr(mnist, "MNIST_PATH", bad)
    mnist._raw.cache_clear()
    try:
        with pytest.raises(CosimError, match="checksum"):
            mnist._raw()
    finally:
        mnist._raw.cache_clear()


def _conv_reference(x, w, pad):
    """Direct convolution (cross-correlation, as every framework), NHWC input, OIHW weights."""
    b, h, ww, c = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    ho, wo = h + 2 * pad - k + 1, ww + 2 * pad - k + 1
    out = np.zeros((b, ho, wo, o))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j, :] = np.einsum("bijc,ocij->bo", xp[:, i:i + k, j:j + k, :], w)
    return out


@pytest.mark.parametrize("padding, pad", [("same", 1), ("valid", 0)])
def test_conv_matches_a_direct_convolution(padding, pad):
    x = RNG.standard_normal((2, 6, 5, 3)).astype(np.float32)
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    conv = Conv("c", w, np.zeros(4, np.float32), padding=padding)
    out = conv.forward(x, {})
    assert out.shape == ((2, 6, 5, 4) if padding == "same" else (2, 4, 3, 4))
    assert np.allclose(out, _conv_reference(x, w, pad), atol=1e-4)


def test_unknown_padding_is_refused():
    with pytest.raises(CosimError, match="padding 'full'"):
        Conv("c", np.zeros((1, 1, 3, 3), np.float32), np.zeros(1, np.float32), padding="full")


@settings(max_examples=25, deadline=None)
@given(h=st.integers(3, 7), w=st.integers(3, 7), c=st.integers(1, 3), pad=st.sampled_from([0, 1]))
def test_valid_im2col_and_col2im_are_adjoint(h, w, c, pad):
    rng = np.random.default_rng(h * 100 + w * 10 + c)
    x = rng.standard_normal((2, h, w, c))
    cols = im2col(x, 3, pad)
    assert cols.shape == (2 * (h + 2 * pad - 2) * (w + 2 * pad - 2), c * 9)
    y = rng.standard_normal(cols.shape)
    assert float((cols * y).sum()) == pytest.approx(float((x * col2im(y, 2, h, w, c, 3, pad)).sum()), rel=1e-9)


def test_odd_pooling_drops_the_last_row_and_column():
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    out, arg = maxpool2(x)
    assert out[0, :, :, 0].tolist() == [[6, 8], [16, 18]]
    dx = maxpool2_backward(np.ones_like(out), arg, 5, 5)
    assert dx.shape == x.shape and dx[0, 4, :, 0].sum() == 0 and dx[0, :, 4, 0].sum() == 0
    assert dx.sum() == 4


def test_gradients_of_a_valid_cnn_with_odd_pooling_match_finite_differences():
    rng = np.random.default_rng(1)
    net = Net("t", (9, 9, 1), [Conv("c1", rng.standard_normal((2, 1, 3, 3)), rng.standard_normal(2) * .1,
                                    padding="valid"), ReLU("r1"), MaxPool("p1"),  # 9 → 7 → 3
                                Conv("c2", rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3) * .1,
                                     padding="valid"), Flatten("f"),  # 3 → 1
                                Dense("fc", rng.standard_normal((4, 3)), np.zeros(4))])
    x = rng.random((3, 9, 9, 1))
    y = np.array([0, 1, 3])
    _, grads = net.loss_and_grads(x, y)
    for name, idx in (("c1", (1, 0, 2, 1)), ("c2", (2, 1, 0, 2)), ("fc", (3, 1))):
        l = net.layer(name)
        old, eps = l.w[idx], 1e-6
        l.w[idx] = old + eps
        up = net.loss(x, y)
        l.w[idx] = old - eps
        down = net.loss(x, y)
        l.w[idx] = old
        assert grads[name][0][idx] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8)


def test_mnist_cnn_has_the_classic_shapes():
    g = digits.to_layer_graph(digits.build("mnist-cnn"))
    shape = {l.name: (l.out_h, l.out_w, l.out_channels) for l in g.layers()}
    assert [shape[n] for n in ("conv1", "pool1", "conv2", "pool2", "conv3")] == [
        (26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (3, 3, 64)]
    assert g["fc1"].gemm_k == 576 and g["fc2"].gemm_n == 10
    # MACs by hand: outputs × filters × taps
    assert g["conv1"].macs == 26 * 26 * 32 * 9 and g["conv2"].macs == 11 * 11 * 64 * 32 * 9
    assert g["conv3"].macs == 3 * 3 * 64 * 64 * 9 and g["fc1"].macs == 576 * 64


def test_mnist_mlp_is_784_128_64_10():
    g = digits.to_layer_graph(digits.build("mnist-mlp"))
    assert [(l.gemm_k, l.gemm_n) for l in g.compute_layers()] == [(784, 128), (128, 64), (64, 10)]
    assert sum(l.params for l in g.compute_layers()) == 784 * 128 + 128 * 64 + 64 * 10


def test_a_short_mlp_training_learns_real_digits():
    net, data = digits.trained("mnist-mlp", epochs=3)
    assert data.x_train.shape[1:] == (28, 28, 1)
    assert net.accuracy(data.x_test, data.y_test) >= 0.88  # 3 epochs on 3,500 images (full: ~94%)


def test_cli_prunes_the_mnist_mlp_with_and_without_distillation(tmp_path, capsys):
    from cosim.cli import main
    from cosim.prune.io import read_metadata

    out = tmp_path / "m.npz"
    try:
        main(["prune", "-w", "mnist-mlp", "-p", "unstructured:0.9", "--finetune-epochs", "1", "--distill", "4,0.7",
              "-q", "--out", str(out)])
    except SystemExit as e:
        assert e.code in (0, None), capsys.readouterr().err
    text = capsys.readouterr().out
    assert "held-out MNIST images" in text and "with distillation (T=4,alpha=0.7)" in text
    assert "without distillation (same recipe, labels only):" in text
    meta = read_metadata(out)
    assert meta["distill"] == {"temperature": 4.0, "alpha": 0.7} and 0.5 < meta["accuracy_without_distill"] <= 1


def test_cli_simulates_the_mnist_cnn():
    from click.testing import CliRunner

    from cosim.cli import cli

    r = CliRunner().invoke(cli, ["simulate", "-a", "scalesim-32x32-ws", "-w", "mnist-cnn", "-q"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["presets"])
    assert "mnist-cnn" in r.output and "mnist-mlp" in r.output


def test_trained_weights_are_cached_on_disk_and_reused(tmp_path, monkeypatch):
    from cosim.prune import trained_cache

    monkeypatch.setenv("COSIM_CACHE_DIR", str(tmp_path))
    digits._trained.cache_clear()
    a, _ = digits.trained("mnist-mlp", epochs=1)
    files = list((tmp_path / "trained").glob("*.npz"))
    assert len(files) == 1
    digits._trained.cache_clear()
    calls = []
    monkeypatch.setattr(digits, "train", lambda *a, **k: calls.append(1))
    b, _ = digits.trained("mnist-mlp", epochs=1)
    assert not calls  # read back, not retrained
    assert all(np.array_equal(x.w, y.w) for x, y in zip(a.weighted(), b.weighted()))
    files[0].write_bytes(b"garbage")  # a broken file is retrained, never trusted
    digits._trained.cache_clear()
    digits.trained("mnist-mlp", epochs=1)
    assert calls
    monkeypatch.setenv("COSIM_CACHE_DIR", "off")
    assert trained_cache.cache_dir() is None
    digits._trained.cache_clear()
