"""PyTorch importer (optional extra): skipped cleanly where torch is not installed."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from cosim.errors import CosimError  # noqa: E402
from cosim.prune.torch_import import from_torch, prune_torch  # noqa: E402


class Res(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = self.relu(self.stem(x))
        x = x + self.bn1(self.conv1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def test_graph_structure_and_weights():
    torch.manual_seed(0)
    m = Res().eval()
    g, w, owners = from_torch(m, torch.zeros(1, 1, 8, 8))
    assert [l.op for l in g.compute_layers()] == ["conv2d", "conv2d", "linear"]
    add = [l for l in g.layers() if l.op == "add"][0]
    assert len(g.predecessors(add.name)) == 2  # the residual edge is real
    assert g["fc"].in_channels == 128 and g["stem"].in_h == 8
    assert w["conv1"].shape == (1, 8, 72) and owners["fc"] == "fc"
    assert np.allclose(w["conv1"].reshape(8, 8, 3, 3), m.conv1.weight.detach().numpy())


def test_prune_measures_accuracy_with_the_users_function():
    torch.manual_seed(0)
    m = Res().eval()
    x = torch.randn(64, 1, 8, 8)
    with torch.no_grad():
        ref = m(x).argmax(1)

    def agreement(model):
        with torch.no_grad():
            return float((model(x).argmax(1) == ref).float().mean())

    run, pruned = prune_torch(m, x[:1], "2:4", agreement)
    assert run.accuracy_kind == "measured" and run.accuracy_before == 1.0
    assert 0 <= run.accuracy_after <= 1 and run.accuracy_after == pytest.approx(agreement(pruned))
    wc = pruned.conv1.weight.detach().numpy().reshape(8, 72)
    assert ((wc.reshape(8, 18, 4) != 0).sum(axis=2) <= 2).all()
    assert (m.conv1.weight != 0).all()  # the user's model is untouched


def test_unsupported_module_names_the_node():
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(4, 4)

        def forward(self, x):
            return self.rnn(x)[0]

    with pytest.raises(CosimError, match="rnn"):
        from_torch(Bad(), torch.zeros(2, 1, 4))


def test_a_module_called_twice_is_two_layers():
    """One nn.ReLU reused after both convolutions (common PyTorch style): its first call keeps the module's
    name, the second takes torch.fx's node name, and both sit where they are called."""

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(1, 4, 3, padding=1)
            self.b = nn.Conv2d(4, 4, 3, padding=1)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.b(self.relu(self.a(x))))

    g, _, _ = from_torch(Twice().eval(), torch.zeros(1, 1, 6, 6))
    acts = [l.name for l in g.layers() if l.op == "act"]
    assert acts[0] == "relu" and len(acts) == 2 and len(set(acts)) == 2
    assert g.predecessors(acts[1]) == ["b"]
