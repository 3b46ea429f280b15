"""The embedded models: build, train (seeded), measure, and export as a cosim LayerGraph.

Two networks sized for the 8×8 UCI digits (cosim/prune/data.py):

* ``digits-mlp``: 64-128-64-10 with ReLU — the seeds' MLP 784-128-64-10 with its input cut to the
  64 pixels of an 8×8 image.
* ``digits-cnn``: conv32-pool-conv64-pool-conv64-fc64-fc10 — the seeds' small CNN adapted to 8×8
  input: every conv is 3×3 with "same" padding and ReLU, each 2×2 max pool halves the map (8→4→2),
  so the last conv sees 2×2×64 and the first fc has 256 inputs.

Two on 28×28 MNIST (the embedded 5,000-image sample, cosim/prune/mnist.py), the classic networks of
the hardware-aware pruning literature:

* ``mnist-mlp``: 784-128-64-10 with ReLU.
* ``mnist-cnn``: conv32-pool-conv64-pool-conv64-fc64-fc10 with 3×3 "valid" convolutions and 2×2
  max pools (floor): 28 → 26 → 13 → 11 → 5 → 3, so the first fc has 3·3·64 = 576 inputs (the
  TensorFlow CNN tutorial's network, https://www.tensorflow.org/tutorials/images/cnn).

Training: Adam, lr 2e-3, batch 64, He-normal init, fixed seed and the fixed stratified split, so the
same call gives the same weights and accuracies on every machine (numpy's BLAS may differ in the last
bits across builds; accuracies are reported to 0.1 points).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from cosim.errors import CosimError
from cosim.graph import Layer, LayerGraph
from cosim.prune.data import Split, load_digits_split
from cosim.prune.nn import Conv, Dense, Flatten, MaxPool, Net, ReLU, he_init, train
from cosim.workloads.zoo import mark_relu_inputs

ARCHS = {"digits-mlp": "mlp", "digits-cnn": "cnn", "mnist-mlp": "mnist-mlp", "mnist-cnn": "mnist-cnn"}
# Epochs: test accuracy plateaus by then (seed 0): digits 97.8% CNN, 96.9% MLP; MNIST figures in
# cosim/prune/data/README.md (measured with scripts/bench_prune.py).
DEFAULT_EPOCHS = {"mlp": 60, "cnn": 15, "mnist-mlp": 20, "mnist-cnn": 10}
# MNIST models train with a cosine-decayed rate (cosim/prune/nn.py): a constant rate left the CNN's
# test accuracy swinging ±1 point from epoch to epoch on the 3,500 training images (measured).
COSINE = {"mlp": False, "cnn": False, "mnist-mlp": True, "mnist-cnn": True}
DATASETS = {"mlp": "digits", "cnn": "digits", "mnist-mlp": "mnist", "mnist-cnn": "mnist"}
DATASET_NAMES = {"digits": "UCI digits", "mnist": "MNIST"}
FLOAT_BITS = 32  # an unquantized trained model holds float32 weights and activations


def _mlp(rng, name: str, side: int, hidden: tuple[int, ...]) -> Net:
    sizes = list(zip((side * side,) + hidden, hidden + (10,)))
    layers: list = [Flatten("flatten")]
    for i, (a, b) in enumerate(sizes, 1):
        layers.append(Dense(f"fc{i}", he_init(rng, (b, a), a), np.zeros(b, np.float32)))
        if i < len(sizes):
            layers.append(ReLU(f"relu{i}"))
    return Net(name, (side, side, 1), layers)


def _cnn(rng, name: str, side: int, padding: str, flat: int) -> Net:
    def conv(cname, cin, cout):
        return Conv(cname, he_init(rng, (cout, cin, 3, 3), cin * 9), np.zeros(cout, np.float32), padding=padding)

    layers = [conv("conv1", 1, 32), ReLU("relu1"), MaxPool("pool1"),
              conv("conv2", 32, 64), ReLU("relu2"), MaxPool("pool2"),
              conv("conv3", 64, 64), ReLU("relu3"), Flatten("flatten"),
              Dense("fc1", he_init(rng, (64, flat), flat), np.zeros(64, np.float32)), ReLU("relu4"),
              Dense("fc2", he_init(rng, (10, 64), 64), np.zeros(10, np.float32))]
    return Net(name, (side, side, 1), layers)


def build(arch: str, seed: int = 0) -> Net:
    rng = np.random.default_rng(seed)
    if arch == "mlp":
        return _mlp(rng, "digits-mlp", 8, (128, 64))
    if arch == "cnn":
        return _cnn(rng, "digits-cnn", 8, "same", 2 * 2 * 64)
    if arch == "mnist-mlp":
        return _mlp(rng, "mnist-mlp", 28, (128, 64))
    if arch == "mnist-cnn":
        return _cnn(rng, "mnist-cnn", 28, "valid", 3 * 3 * 64)
    raise CosimError(f"embedded model '{arch}' is unknown; use one of {', '.join(ARCHS)}")


def load_split(arch: str) -> Split:
    """The fixed train/validation/test split of the model's dataset."""
    if DATASETS[arch] == "mnist":
        from cosim.prune.mnist import load_mnist_split

        return load_mnist_split()
    return load_digits_split()


def arch_of(workload: str) -> str:
    key = workload.lower()
    if key not in ARCHS:
        raise CosimError(f"--workload '{workload}' is not an embedded model; use {', '.join(ARCHS)}")
    return ARCHS[key]


@lru_cache(maxsize=8)
def _trained(arch: str, seed: int, epochs: int) -> tuple[Net, float]:
    from cosim.prune import trained_cache

    split = load_split(arch)
    net = build(arch, seed)
    key = trained_cache.cache_key(arch, seed, epochs, COSINE[arch], _data_sha(arch))
    if not trained_cache.load(net, key):
        train(net, split.x_train, split.y_train, epochs=epochs, seed=seed, cosine=COSINE[arch])
        trained_cache.store(net, key)
    return net, net.accuracy(split.x_test, split.y_test)


def _data_sha(arch: str) -> str:
    from cosim.prune import data, mnist

    return mnist.MNIST_SHA256 if DATASETS[arch] == "mnist" else data.DIGITS_SHA256


def trained(arch: str, seed: int = 0, epochs: int | None = None) -> tuple[Net, Split]:
    """A trained dense model (a fresh copy; training runs once per process and arguments)."""
    net, _ = _trained(arch, seed, DEFAULT_EPOCHS[arch] if epochs is None else epochs)
    return net.clone(), load_split(arch)


# ---- statistics on data --------------------------------------------------------------------------
def layer_inputs(net: Net, x: np.ndarray) -> dict[str, np.ndarray]:
    """Each weighted layer's input as its GEMM rows (M, K): im2col'd for convs."""
    cache: dict = {}
    net.forward(x, cache)
    out = {}
    for l in net.weighted():
        out[l.name] = cache[l.name][0]
    return out


def input_stats(net: Net, x: np.ndarray) -> dict[str, dict]:
    """Per weighted layer: variance of every reduction input (K,), nonzero fraction, min and max."""
    stats = {}
    for name, rows in layer_inputs(net, x).items():
        stats[name] = {"var": rows.var(axis=0).astype(np.float64), "density": float((rows != 0).mean()),
                       "lo": float(rows.min()), "hi": float(rows.max())}
    return stats


def taylor_scores(net: Net, x: np.ndarray, y: np.ndarray, batch: int = 128) -> dict[str, np.ndarray]:
    """mean over mini-batches of (g · w)² per weight, GEMM view (1, N, K) (Molchanov et al. 2019)."""
    acc: dict[str, np.ndarray] = {}
    nb = 0
    weights = net.gemm_weights()
    for s in range(0, len(x), batch):
        _, grads = net.loss_and_grads(x[s:s + batch], y[s:s + batch])
        for l in net.weighted():
            gw = grads[l.name][0].reshape(l.gemm_shape).astype(np.float64)
            acc[l.name] = acc.get(l.name, 0.0) + (gw * weights[l.name]) ** 2
        nb += 1
    return {k: v / nb for k, v in acc.items()}


# ---- export --------------------------------------------------------------------------------------
def to_layer_graph(net: Net, *, weight_bits: int = FLOAT_BITS, act_bits: int = FLOAT_BITS,
                   act_density: dict[str, float] | None = None, sparsity: dict | None = None) -> LayerGraph:
    """The network as a cosim LayerGraph (same layer names), at batch 1.

    Every layer carries ``act_bits`` for its activations (inputs and outputs); weighted layers carry
    ``weight_bits``. ``sparsity``: layer → Sparsity to attach (masks in the GEMM view, which nn.py
    shares with cosim). ``act_density``: layer → measured nonzero fraction of its input activations.
    """
    g = LayerGraph(net.name)
    h, w, c = net.input_shape
    prev: str | None = None
    for l in net.layers:
        kw: dict = dict(act_bits=act_bits, out_bits=act_bits)
        if isinstance(l, (Conv, Dense)):
            kw.update(weight_bits=weight_bits, kind="conv" if isinstance(l, Conv) else "fc", bias=True)
            if sparsity and l.name in sparsity:
                kw["weight_sparsity"] = sparsity[l.name]
            if act_density and l.name in act_density:
                kw["act_density"] = max(min(act_density[l.name], 1.0), 1e-6)
        if isinstance(l, Conv):
            k = l.w.shape[2]
            layer = Layer.conv2d(l.name, c, l.w.shape[0], (h, w), k, padding=l.pad, **kw)
            c, h, w = l.w.shape[0], h + 2 * l.pad - k + 1, w + 2 * l.pad - k + 1
        elif isinstance(l, Dense):
            layer = Layer.linear(l.name, l.w.shape[1], l.w.shape[0], **kw)
            c = l.w.shape[0]
        elif isinstance(l, ReLU):
            layer = Layer.vector(l.name, "act", c, (h, w), kind="relu", **kw)
        elif isinstance(l, MaxPool):
            layer = Layer.pool(l.name, c, (h, w), 2, 2, kind="maxpool", **kw)
            h, w = h // 2, w // 2
        elif isinstance(l, Flatten):
            c, h, w = c * h * w, 1, 1
            continue  # a flatten moves no data in the GEMM view: the next linear reads C·H·W inputs
        else:
            raise CosimError(f"layer '{l.name}': {type(l).__name__} has no cosim equivalent")
        g.add(layer, [prev] if prev else [])
        prev = layer.name
    return mark_relu_inputs(g)  # the zoo's tag for layers reading ReLU zeros (cosim/workloads/zoo.py)
