"""Layers and the layer graph: what a network asks of a datapath.

Every compute layer is described in one shape, the (grouped) convolution:

* ``conv2d``  — batch × in_channels × in_h × in_w input, out_channels filters of kernel_h × kernel_w,
  with stride, padding, dilation and groups (depthwise: groups == in_channels == out_channels).
* ``linear``  — a 1×1 convolution over ``tokens`` positions: in_channels = in_features,
  out_channels = out_features, in_h = 1, in_w = tokens (sequence length, or 1 for an MLP).
* ``matmul``  — a batched activation × activation product (attention QKᵀ and AV): ``groups`` = heads,
  per head an (M × K) @ (K × N) product with M = tokens, stored as in_channels = heads·K,
  out_channels = heads·N, in_w = M. It has no weights: both operands are activations.

so the GEMM view is the same for all three (im2col lowering, as SCALE-Sim and Timeloop do it):

    M = batch · out_h · out_w     (output positions: the rows of the ifmap operand)
    N = out_channels / groups     (filters per group: the columns of the filter operand)
    K = in_channels / groups · kernel_h · kernel_w   (the reduction)

and the layer is ``groups`` independent GEMMs of M × N × K, MACs = groups · M · N · K exactly.

Vector layers (``pool``, ``add``, ``norm``, ``act``, ``softmax``, ``concat``, ``embedding``) do no MACs;
their work is counted as element operations (``vector_ops``) on the output. An ``embedding`` is a table
lookup: in_channels = vocabulary size, out_channels = width, in_w = tokens; its table counts as params.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import networkx as nx

from cosim.errors import CosimError, require
from cosim.sparsity import Sparsity

COMPUTE_OPS = ("conv2d", "linear", "matmul")
VECTOR_OPS = ("pool", "add", "norm", "act", "softmax", "concat", "embedding")
OPS = COMPUTE_OPS + VECTOR_OPS

# Element operations per output element for vector layers, a simple convention stated once here:
# a max/avg pool reads kernel_h·kernel_w inputs per output; add does one op; a norm does ~5 (mean,
# variance, subtract, scale, shift); an activation one; softmax ~3 (exp, sum, divide).
_VECTOR_OPS_PER_OUTPUT = {"add": 1, "norm": 5, "act": 1, "softmax": 3, "concat": 0, "embedding": 1}


@dataclass(frozen=True)
class Layer:
    """One layer. Frozen: transformations (pruning, batching) build a new Layer with ``replace``."""

    name: str
    op: str
    in_channels: int = 1
    out_channels: int = 1
    in_h: int = 1
    in_w: int = 1
    kernel_h: int = 1
    kernel_w: int = 1
    stride_h: int = 1
    stride_w: int = 1
    pad_h: int = 0
    pad_w: int = 0
    dilation_h: int = 1
    dilation_w: int = 1
    groups: int = 1
    batch: int = 1
    weight_bits: int = 8
    act_bits: int = 8
    out_bits: int = 8
    # What the operands are (int8, fp16, bf16, fp8, ... cosim/precision.py); "" = integers of their width.
    number_format: str = ""
    # Weight sparsity (pattern, density, optional mask in the GEMM view) and activation density.
    weight_sparsity: Sparsity = field(default_factory=Sparsity)
    act_density: float = 1.0
    # Free-form label of what the layer does in its network ("relu", "gelu", "maxpool", ...).
    kind: str = ""
    # What the layer carries and what feeds it, as typed fields (not tags inside ``kind``):
    bias: bool = False        # conv2d/linear add one bias per filter (counted by ``param_extras``)
    affine: bool = False      # a norm with a scale and a shift per channel
    relu_input: bool = False  # its input is a ReLU's output, zeros included (cosim.workloads.zoo)

    def __post_init__(self) -> None:
        where = f"layer '{self.name}'"
        require(bool(self.name), "layer name: must be a non-empty string")
        if "+" in self.kind:
            self._read_legacy_tags()
        for f in ("bias", "affine", "relu_input"):
            require(isinstance(getattr(self, f), bool), f"{where}: field '{f}' must be true or false")
        require(not self.bias or self.op in ("conv2d", "linear"),
                f"{where}: only conv2d and linear layers take a bias; drop 'bias' from this {self.op}")
        require(not self.affine or self.op == "norm",
                f"{where}: only norm layers are affine; drop 'affine' from this {self.op}")
        require(self.op in OPS, f"{where}: op '{self.op}' is not supported; use one of {', '.join(OPS)}")
        for f in ("in_channels", "out_channels", "in_h", "in_w", "kernel_h", "kernel_w", "stride_h",
                  "stride_w", "dilation_h", "dilation_w", "groups", "batch"):
            v = getattr(self, f)
            require(isinstance(v, int) and not isinstance(v, bool) and v >= 1,
                    f"{where}: field '{f}' must be a positive integer, got {v!r}")
        for f in ("pad_h", "pad_w"):
            v = getattr(self, f)
            require(isinstance(v, int) and v >= 0, f"{where}: field '{f}' must be an integer >= 0, got {v!r}")
        for f in ("weight_bits", "act_bits", "out_bits"):
            v = getattr(self, f)
            require(isinstance(v, int) and 1 <= v <= 64, f"{where}: field '{f}' must be 1..64 bits, got {v!r}")
        if self.number_format:
            from cosim.precision import NUMBER_FORMATS

            fmt = NUMBER_FORMATS.get(self.number_format)
            require(fmt is not None, f"{where}: number_format '{self.number_format[:20]}' is unknown; use one of "
                                     f"{', '.join(NUMBER_FORMATS)}")
            require(self.weight_bits == fmt.bits and self.act_bits == fmt.bits,
                    f"{where}: number_format {fmt.name} needs {fmt.bits}-bit weights and activations, got "
                    f"weight_bits {self.weight_bits}, act_bits {self.act_bits}")
        require(0.0 < self.act_density <= 1.0,
                f"{where}: act_density must be in (0, 1], got {self.act_density}")
        if self.op in COMPUTE_OPS:
            require(self.in_channels % self.groups == 0,
                    f"{where}: in_channels {self.in_channels} is not divisible by groups {self.groups}")
            require(self.out_channels % self.groups == 0,
                    f"{where}: out_channels {self.out_channels} is not divisible by groups {self.groups}")
        if self.op in COMPUTE_OPS + ("pool",):
            require(self.out_h >= 1 and self.out_w >= 1,
                    f"{where}: kernel {self.kernel_h}x{self.kernel_w} does not fit the "
                    f"{self.in_h}x{self.in_w} input with padding {self.pad_h},{self.pad_w}; "
                    "enlarge the input or the padding")
        if self.weight_sparsity.mask is not None and self.op in COMPUTE_OPS:
            want = (self.groups, self.gemm_n, self.gemm_k)
            got = tuple(self.weight_sparsity.mask.shape)
            require(got == want, f"{where}: weight mask shape {got} does not match the layer's "
                                 f"(groups, N, K) = {want}; prune the layer as built")

    def _read_legacy_tags(self) -> None:
        """Workload files written before the typed fields spelled them as ``kind`` tags
        (``conv+bias``, ``batchnorm+affine``, ``+relu-input``): read them into the fields."""
        parts = self.kind.split("+")
        legacy = {"bias": "bias", "affine": "affine", "relu-input": "relu_input"}
        for tag in parts[1:]:
            if tag in legacy:
                object.__setattr__(self, legacy[tag], True)
        object.__setattr__(self, "kind", "+".join([parts[0]] + [t for t in parts[1:] if t not in legacy]))

    # ---- shapes ---------------------------------------------------------------------------------
    @property
    def out_h(self) -> int:
        if self.op not in COMPUTE_OPS + ("pool",):
            return self.in_h
        eff = self.dilation_h * (self.kernel_h - 1) + 1
        return (self.in_h + 2 * self.pad_h - eff) // self.stride_h + 1

    @property
    def out_w(self) -> int:
        if self.op not in COMPUTE_OPS + ("pool",):
            return self.in_w
        eff = self.dilation_w * (self.kernel_w - 1) + 1
        return (self.in_w + 2 * self.pad_w - eff) // self.stride_w + 1

    @property
    def is_compute(self) -> bool:
        return self.op in COMPUTE_OPS

    @property
    def has_weights(self) -> bool:
        """conv2d and linear read a weight tensor; matmul multiplies two activations."""
        return self.op in ("conv2d", "linear")

    # ---- GEMM view (per group) --------------------------------------------------------------------
    @property
    def gemm_m(self) -> int:
        """Output positions = rows of the ifmap operand (batch · out_h · out_w)."""
        return self.batch * self.out_h * self.out_w if self.is_compute else 0

    @property
    def gemm_n(self) -> int:
        """Filters per group = columns of the filter operand."""
        return self.out_channels // self.groups if self.is_compute else 0

    @property
    def gemm_k(self) -> int:
        """Reduction length per output (in_channels/groups · kernel_h · kernel_w)."""
        return (self.in_channels // self.groups) * self.kernel_h * self.kernel_w if self.is_compute else 0

    @property
    def gemm(self) -> tuple[int, int, int, int]:
        """(groups, M, N, K): the layer is ``groups`` independent M×N×K GEMMs."""
        return (self.groups, self.gemm_m, self.gemm_n, self.gemm_k)

    @property
    def macs(self) -> int:
        """Exact multiply-accumulates of the dense layer."""
        return self.groups * self.gemm_m * self.gemm_n * self.gemm_k if self.is_compute else 0

    @property
    def params(self) -> int:
        """Weights (no biases, no norm parameters: those are counted by ``param_extras``)."""
        if not self.has_weights:
            return 0
        return self.groups * self.gemm_n * self.gemm_k

    @property
    def param_extras(self) -> int:
        """Biases (``bias``), affine norm parameters (``affine``: scale and shift) and embedding tables."""
        if self.op == "embedding":
            return self.in_channels * self.out_channels
        if self.affine:
            return 2 * self.out_channels
        if self.bias:
            return self.out_channels
        return 0

    # ---- tensor sizes (elements) ------------------------------------------------------------------
    @property
    def input_elems(self) -> int:
        return self.batch * self.in_channels * self.in_h * self.in_w

    @property
    def output_elems(self) -> int:
        return self.batch * self.out_channels * self.out_h * self.out_w

    @property
    def input_elems_read(self) -> int:
        """Elements actually read: an embedding reads one row of its table per token."""
        if self.op == "embedding":
            return self.batch * self.in_h * self.in_w * self.out_channels
        return self.input_elems

    @property
    def weight_elems(self) -> int:
        """Elements of the second operand: weights, or for matmul the other activation (K×N per head)."""
        if self.op == "matmul":
            return self.batch * self.groups * self.gemm_k * self.gemm_n
        return self.params

    @property
    def vector_ops(self) -> int:
        """Element operations of a vector layer (0 for compute layers)."""
        if self.is_compute:
            return 0
        if self.op == "pool":
            return self.output_elems * self.kernel_h * self.kernel_w
        return self.output_elems * _VECTOR_OPS_PER_OUTPUT[self.op]

    @property
    def weight_density(self) -> float:
        return self.weight_sparsity.density

    def replace(self, **changes) -> "Layer":
        return dataclasses.replace(self, **changes)

    # ---- constructors ----------------------------------------------------------------------------
    @classmethod
    def conv2d(cls, name: str, in_channels: int, out_channels: int, in_hw: int | tuple[int, int],
               kernel: int | tuple[int, int], stride: int = 1, padding: int | None = None,
               groups: int = 1, dilation: int = 1, **kw) -> "Layer":
        ih, iw = (in_hw, in_hw) if isinstance(in_hw, int) else in_hw
        kh, kw_ = (kernel, kernel) if isinstance(kernel, int) else kernel
        if padding is None:  # "same"-style padding for odd kernels, the torchvision convention
            ph, pw = dilation * (kh - 1) // 2, dilation * (kw_ - 1) // 2
        else:
            ph = pw = padding
        return cls(name=name, op="conv2d", in_channels=in_channels, out_channels=out_channels,
                   in_h=ih, in_w=iw, kernel_h=kh, kernel_w=kw_, stride_h=stride, stride_w=stride,
                   pad_h=ph, pad_w=pw, dilation_h=dilation, dilation_w=dilation, groups=groups, **kw)

    @classmethod
    def linear(cls, name: str, in_features: int, out_features: int, tokens: int = 1, **kw) -> "Layer":
        return cls(name=name, op="linear", in_channels=in_features, out_channels=out_features,
                   in_h=1, in_w=tokens, **kw)

    @classmethod
    def matmul(cls, name: str, m: int, n: int, k: int, heads: int = 1, **kw) -> "Layer":
        """Per head (m × k) @ (k × n); ``heads`` independent products (attention QKᵀ, AV)."""
        return cls(name=name, op="matmul", in_channels=heads * k, out_channels=heads * n,
                   in_h=1, in_w=m, groups=heads, **kw)

    @classmethod
    def vector(cls, name: str, op: str, channels: int, hw: int | tuple[int, int] = 1, **kw) -> "Layer":
        h, w = (hw, hw) if isinstance(hw, int) else hw
        return cls(name=name, op=op, in_channels=channels, out_channels=channels, in_h=h, in_w=w, **kw)

    @classmethod
    def embedding(cls, name: str, vocab: int, width: int, tokens: int, **kw) -> "Layer":
        return cls(name=name, op="embedding", in_channels=vocab, out_channels=width, in_h=1, in_w=tokens, **kw)

    @classmethod
    def pool(cls, name: str, channels: int, in_hw: int | tuple[int, int], kernel: int, stride: int,
             padding: int = 0, **kw) -> "Layer":
        h, w = (in_hw, in_hw) if isinstance(in_hw, int) else in_hw
        return cls(name=name, op="pool", in_channels=channels, out_channels=channels, in_h=h, in_w=w,
                   kernel_h=kernel, kernel_w=kernel, stride_h=stride, stride_w=stride, pad_h=padding,
                   pad_w=padding, **kw)


class LayerGraph:
    """A network: layers as nodes of a networkx DiGraph, producer → consumer edges.

    Iteration is topological (ties broken by insertion order, so results are deterministic).
    """

    def __init__(self, name: str = "network"):
        self.name = name
        self._g = nx.DiGraph()
        self._order: dict[str, int] = {}
        # Weight layers a network-wide sparsity pattern did not fit, left dense: name → reason
        # (cosim.sparsity_spec.apply_sparsity fills it; reports print it as notes).
        self.sparsity_left_dense: dict[str, str] = {}
        # What an importer could not read and how it got by (e.g. weights in absent external data):
        # one line each, printed as notes (``cosim simulate --strict`` exits 2 on them).
        self.import_notes: list[str] = []
        # The number format an importer found the weights stored in ('fp32' for a float ONNX model), ''
        # where unknown or where the import was told the bits (simulate notes a run at other precision).
        self.stored_format = ""
        # Bumped by every change, so derived views (topological order, cosim.walk's sites) can be
        # cached against it.
        self.version = 0
        self._topo: tuple[int, list[Layer]] | None = None

    # ---- building ------------------------------------------------------------------------------
    def add(self, layer: Layer, inputs: Iterable[str] | str | None = ()) -> Layer:
        """Add ``layer`` fed by the named ``inputs``; returns the layer for chaining."""
        if isinstance(inputs, str):
            inputs = [inputs]
        require(layer.name not in self._g,
                f"layer '{layer.name}': name used twice in network '{self.name}'; names must be unique")
        for src in inputs or ():
            require(src in self._g, f"layer '{layer.name}': input '{src}' is not a layer defined before it")
        self._g.add_node(layer.name, layer=layer)
        self._order[layer.name] = len(self._order)
        for src in inputs or ():
            self._g.add_edge(src, layer.name)
        self.version += 1
        return layer

    def replace(self, layer: Layer) -> None:
        """Swap in a new version of an existing layer (same name), keeping its edges."""
        if layer.name not in self._g:
            raise CosimError(f"layer '{layer.name}' is not in network '{self.name}'")
        self._g.nodes[layer.name]["layer"] = layer
        self.version += 1

    def copy(self, name: str | None = None) -> "LayerGraph":
        g = LayerGraph(name or self.name)
        g._g = self._g.copy()
        g._order = dict(self._order)
        g.sparsity_left_dense = dict(self.sparsity_left_dense)
        g.import_notes = list(self.import_notes)
        g.stored_format = self.stored_format
        return g

    def map_layers(self, fn, name: str | None = None) -> "LayerGraph":
        """A new graph with ``fn(layer)`` in place of every layer (edges kept)."""
        g = self.copy(name)
        for n in g._g.nodes:
            g._g.nodes[n]["layer"] = fn(g._g.nodes[n]["layer"])
        g.version += 1
        return g

    def with_batch(self, batch: int) -> "LayerGraph":
        require(isinstance(batch, int) and batch >= 1, f"batch must be a positive integer, got {batch!r}")
        return self.map_layers(lambda l: l.replace(batch=batch))

    # ---- reading -------------------------------------------------------------------------------
    @property
    def nx(self) -> nx.DiGraph:
        """The underlying networkx graph (node attribute ``layer``)."""
        return self._g

    def __len__(self) -> int:
        return self._g.number_of_nodes()

    def __contains__(self, name: str) -> bool:
        return name in self._g

    def __getitem__(self, name: str) -> Layer:
        try:
            return self._g.nodes[name]["layer"]
        except KeyError:
            raise CosimError(f"no layer named '{name}' in network '{self.name}'") from None

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers())

    def layers(self) -> list[Layer]:
        """All layers in topological order (deterministic)."""
        if self._topo is None or self._topo[0] != self.version:
            order = nx.lexicographical_topological_sort(self._g, key=self._order.__getitem__)
            self._topo = (self.version, [self._g.nodes[n]["layer"] for n in order])
        return list(self._topo[1])

    def compute_layers(self) -> list[Layer]:
        return [l for l in self.layers() if l.is_compute]

    def predecessors(self, name: str) -> list[str]:
        return sorted(self._g.predecessors(name), key=self._order.__getitem__)

    def successors(self, name: str) -> list[str]:
        return sorted(self._g.successors(name), key=self._order.__getitem__)

    @property
    def macs(self) -> int:
        return sum(l.macs for l in self.layers())

    @property
    def params(self) -> int:
        return sum(l.params + l.param_extras for l in self.layers())

    def __repr__(self) -> str:
        return f"LayerGraph({self.name!r}, layers={len(self)}, macs={self.macs:,}, params={self.params:,})"
