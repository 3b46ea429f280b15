"""The workload zoo: full layer graphs of well-known networks, built in code.

``ZOO`` maps a lowercase name (and its aliases: ``resnet-50``, ``bert_base``, ...) to a builder taking
keyword parameters only; an unknown parameter is a :class:`CosimError` naming it. Every builder accepts
``batch``, ``weight_bits`` and ``act_bits``; the others are listed in each builder's signature.

The graphs follow the reference implementations so that totals match published figures exactly where
the counting convention allows: the CNNs follow torchvision (ResNet v1.5 with the stride on the 3×3
convolution, MobileNetV2 with ReLU6, VGG-16 configuration D, AlexNet's torchvision variant), BERT follows
Hugging Face ``BertModel`` (with the pooler) and the decoder follows GPT-2 (pre-LayerNorm, fused QKV).
Vector layers are explicit: ``norm`` (batch/layer norm), ``act``, ``pool``, residual ``add``,
``softmax``, ``embedding``. Dropout is omitted (identity at inference); the attention scale 1/√d is
folded into the softmax. Flattening is a view: the linear layer after it takes C·H·W features.

Layer ``kind`` says what the layer is in its network (``conv``, ``fc``, ``qkv``, ``relu``, ``gelu``,
``batchnorm``, ``maxpool``, ``residual``, ...). What it carries is typed on the Layer:

* ``bias``  — the layer adds a bias (counted by ``Layer.param_extras``);
* ``affine`` — a norm with learned scale and shift (2·C parameters in ``param_extras``);
* ``relu_input`` — the layer's input is produced by a ReLU/ReLU6, directly or through a max-pool, so it
  is non-negative with exact zeros: the layers whose activation sparsity can be annotated
  (``act_density``) and exploited by zero-skipping datapaths. See :func:`reads_relu_output` and
  :func:`mark_relu_inputs` (which importers apply to graphs they build).
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable, Iterable

from cosim.errors import CosimError, require
from cosim.graph import Layer, LayerGraph

_RELU_KINDS = ("relu", "relu6", "relu-clip")  # kinds of activations that output ReLU zeros


def reads_relu_output(layer: Layer) -> bool:
    """True when the layer's input carries the zeros of a ReLU (``Layer.relu_input``)."""
    return layer.relu_input


def _is_relu(layer: Layer) -> bool:
    return layer.op == "act" and layer.kind.split("+")[0] in _RELU_KINDS


def passes_relu_zeros(layer: Layer) -> bool:
    """A max-pool of ReLU outputs still holds their zeros (and only non-negative values)."""
    return layer.op == "pool" and layer.kind.startswith("max")


def mark_relu_inputs(graph: LayerGraph) -> LayerGraph:
    """Tag (in place) every layer fed by a ReLU, directly or through a max-pool; returns ``graph``."""
    relu_out: set[str] = set()
    for layer in graph.layers():
        fed = any(p in relu_out for p in graph.predecessors(layer.name))
        if _is_relu(layer) or (fed and passes_relu_zeros(layer)):
            relu_out.add(layer.name)
        if fed and not layer.relu_input:
            graph.replace(layer.replace(relu_input=True))
    return graph


# ---- builder ------------------------------------------------------------------------------------
class _Net:
    """Builds a LayerGraph while tracking each tensor's (channels, height, width) and ReLU zeros."""

    def __init__(self, name: str, input_shape: tuple[int, int, int], batch: int, weight_bits: int,
                 act_bits: int):
        self.graph = LayerGraph(name)
        self.kw = dict(batch=batch, weight_bits=weight_bits, act_bits=act_bits, out_bits=act_bits)
        self.shapes: dict[str | None, tuple[int, int, int]] = {None: input_shape}
        self.relu_out: set[str] = set()

    def _add(self, layer: Layer, inputs: Iterable[str | None]) -> str:
        self.graph.add(layer, [s for s in inputs if s is not None])
        self.shapes[layer.name] = (layer.out_channels, layer.out_h, layer.out_w)
        return layer.name

    def _fed(self, inputs: Iterable[str | None]) -> bool:
        """Whether any of ``inputs`` carries ReLU zeros (the layer's ``relu_input``)."""
        return any(s in self.relu_out for s in inputs)

    def conv(self, name, src, out, kernel, stride=1, padding=None, groups=1, bias=False, kind="conv"):
        c, h, w = self.shapes[src]
        return self._add(Layer.conv2d(name, c, out, (h, w), kernel, stride, padding, groups,
                                      kind=kind, bias=bias, relu_input=self._fed([src]), **self.kw), [src])

    def linear(self, name, src, out, bias=True, kind="fc", tokens=None):
        c, h, w = self.shapes[src]
        if tokens is None:  # a token sequence (C, 1, T) keeps its tokens; a feature map is flattened
            features, tokens = (c, w) if h == 1 else (c * h * w, 1)
        else:
            features = c
        return self._add(Layer.linear(name, features, out, tokens,
                                      kind=kind, bias=bias, relu_input=self._fed([src]), **self.kw), [src])

    def matmul(self, name, srcs, m, n, k, heads, kind):
        return self._add(Layer.matmul(name, m, n, k, heads, kind=kind, relu_input=self._fed(srcs), **self.kw), srcs)

    def vector(self, name, op, srcs, kind, affine=False):
        srcs = [srcs] if isinstance(srcs, str) or srcs is None else srcs
        c, h, w = self.shapes[srcs[0]]
        out = self._add(Layer.vector(name, op, c, (h, w), kind=kind, affine=affine, relu_input=self._fed(srcs),
                                     **self.kw), srcs)
        if op == "act" and kind in _RELU_KINDS:
            self.relu_out.add(out)
        return out

    def bn(self, name, src):
        return self.vector(name, "norm", src, "batchnorm", affine=True)

    def act(self, name, src, kind="relu"):
        return self.vector(name, "act", src, kind)

    def pool(self, name, src, kernel, stride, padding=0, kind="maxpool"):
        c, h, w = self.shapes[src]
        out = self._add(Layer.pool(name, c, (h, w), kernel, stride, padding,
                                   kind=kind, relu_input=self._fed([src]), **self.kw), [src])
        if kind == "maxpool" and src in self.relu_out:
            self.relu_out.add(out)
        return out

    def global_pool(self, name, src):
        c, h, w = self.shapes[src]
        return self._add(Layer(name=name, op="pool", in_channels=c, out_channels=c, in_h=h, in_w=w,
                               kernel_h=h, kernel_w=w, kind="global-avgpool", relu_input=self._fed([src]),
                               **self.kw), [src])

    def embedding(self, name, vocab, width, tokens, kind):
        return self._add(Layer.embedding(name, vocab, width, tokens, kind=kind, **self.kw), [])


# ---- parameters ---------------------------------------------------------------------------------
def _coerce(workload: str, key: str, value, default):
    """Check one parameter against its default's type; CLI strings ('224', 'true') are converted."""
    where = f"workload '{workload}': parameter '{key}'"
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        require(isinstance(value, bool), f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise CosimError(f"{where} must be an integer, got {value!r}") from None
        require(isinstance(value, int) and not isinstance(value, bool),
                f"{where} must be an integer, got {value!r}")
        require(value >= 0 if key in _MAY_BE_ZERO else value >= 1,
                f"{where} must be {'>= 0' if key in _MAY_BE_ZERO else 'a positive integer'}, got {value}")
        if key.endswith("_bits"):
            require(value <= 64, f"{where} must be 1..64 bits, got {value}")
        return value
    if isinstance(default, float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise CosimError(f"{where} must be a number, got {value!r}") from None
        require(value > 0, f"{where} must be > 0, got {value}")
        return value
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v for v in value.replace("-", ",").split(",") if v.strip()]
        try:
            value = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise CosimError(f"{where} must be a list of positive integers, got {value!r}") from None
        require(all(v >= 1 for v in value), f"{where} must be a list of positive integers, got {value!r}")
        return value
    if isinstance(default, str):
        return str(value)
    return value


_MAY_BE_ZERO = ("kv_cache",)


def _builder(fn: Callable[..., LayerGraph]) -> Callable[..., LayerGraph]:
    """Make ``fn`` reject unknown parameters and check types with one-line CosimErrors."""
    sig = inspect.signature(fn)
    defaults = {k: p.default for k, p in sig.parameters.items()}

    @functools.wraps(fn)
    def build(**params) -> LayerGraph:
        name = fn.__name__.replace("_", "-")
        for key in params:
            if key not in defaults:
                raise CosimError(f"workload '{name}': unknown parameter '{key}'; "
                                 f"known: {', '.join(defaults)}")
        return fn(**{k: _coerce(name, k, v, defaults[k]) for k, v in params.items()})

    build.defaults = defaults
    return build


def _preset(builder: Callable[..., LayerGraph], name: str, **fixed) -> Callable[..., LayerGraph]:
    """A builder with other defaults (a named configuration); every parameter stays overridable."""

    def build(**params) -> LayerGraph:
        g = builder(**{**fixed, **params})
        g.name = name
        return g

    build.defaults = {**builder.defaults, **fixed}
    build.__doc__ = f"{name}: {builder.__name__} with {fixed}"
    return build


# ---- CNNs ---------------------------------------------------------------------------------------
def _resnet(name, blocks, bottleneck, image_size, num_classes, batch, weight_bits, act_bits):
    n = _Net(name, (3, image_size, image_size), batch, weight_bits, act_bits)
    x = n.act("relu1", n.bn("bn1", n.conv("conv1", None, 64, 7, stride=2)))
    x = n.pool("maxpool", x, 3, 2, 1)
    cin, expansion = 64, 4 if bottleneck else 1
    for stage, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512)), start=1):
        for b in range(count):
            p, stride = f"layer{stage}.{b}.", (2 if stage > 1 and b == 0 else 1)
            if bottleneck:  # v1.5: the stride sits on the 3×3 convolution
                y = n.act(p + "relu1", n.bn(p + "bn1", n.conv(p + "conv1", x, width, 1)))
                y = n.act(p + "relu2", n.bn(p + "bn2", n.conv(p + "conv2", y, width, 3, stride)))
                y = n.bn(p + "bn3", n.conv(p + "conv3", y, width * 4, 1))
            else:
                y = n.act(p + "relu1", n.bn(p + "bn1", n.conv(p + "conv1", x, width, 3, stride)))
                y = n.bn(p + "bn2", n.conv(p + "conv2", y, width, 3))
            if stride != 1 or cin != width * expansion:
                x = n.bn(p + "downsample.bn", n.conv(p + "downsample.conv", x, width * expansion, 1, stride))
            x = n.act(p + "relu_out", n.vector(p + "add", "add", [y, x], "residual"))
            cin = width * expansion
    x = n.global_pool("avgpool", x)
    n.linear("fc", x, num_classes)
    return n.graph


@_builder
def resnet18(image_size: int = 224, num_classes: int = 1000, batch: int = 1, weight_bits: int = 8,
             act_bits: int = 8) -> LayerGraph:
    """ResNet-18 (He et al., CVPR 2016), torchvision layout."""
    return _resnet("resnet18", (2, 2, 2, 2), False, image_size, num_classes, batch, weight_bits, act_bits)


@_builder
def resnet50(image_size: int = 224, num_classes: int = 1000, batch: int = 1, weight_bits: int = 8,
             act_bits: int = 8) -> LayerGraph:
    """ResNet-50 v1.5 (torchvision: stride on the 3×3 convolution of each bottleneck)."""
    return _resnet("resnet50", (3, 4, 6, 3), True, image_size, num_classes, batch, weight_bits, act_bits)


def _make_divisible(v: float, divisor: int = 8) -> int:
    # torchvision/TF MobileNet channel rounding: nearest multiple of 8, never more than 10% below v.
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


@_builder
def mobilenetv2(image_size: int = 224, num_classes: int = 1000, width_mult: float = 1.0, batch: int = 1,
                weight_bits: int = 8, act_bits: int = 8) -> LayerGraph:
    """MobileNetV2 (Sandler et al., CVPR 2018), torchvision layout: inverted residuals, ReLU6."""
    n = _Net("mobilenetv2", (3, image_size, image_size), batch, weight_bits, act_bits)
    cin = _make_divisible(32 * width_mult)
    x = n.act("features.0.relu6", n.bn("features.0.bn", n.conv("features.0.conv", None, cin, 3, 2)), "relu6")
    settings = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1))  # (expansion t, channels c, repeats n, first stride s), paper Table 2
    i = 1
    for t, c, reps, s in settings:
        cout = _make_divisible(c * width_mult)
        for r in range(reps):
            p, stride, hidden = f"features.{i}.", (s if r == 0 else 1), cin * t
            y = x
            if t != 1:
                y = n.act(p + "expand.relu6", n.bn(p + "expand.bn", n.conv(p + "expand", y, hidden, 1)), "relu6")
            y = n.conv(p + "depthwise", y, hidden, 3, stride, groups=hidden, kind="conv-depthwise")
            y = n.act(p + "depthwise.relu6", n.bn(p + "depthwise.bn", y), "relu6")
            y = n.bn(p + "project.bn", n.conv(p + "project", y, cout, 1))
            x = n.vector(p + "add", "add", [y, x], "residual") if stride == 1 and cin == cout else y
            cin, i = cout, i + 1
    last = _make_divisible(1280 * max(1.0, width_mult))
    x = n.act(f"features.{i}.relu6", n.bn(f"features.{i}.bn", n.conv(f"features.{i}.conv", x, last, 1)), "relu6")
    n.linear("classifier", n.global_pool("avgpool", x), num_classes)
    return n.graph


@_builder
def vgg16(image_size: int = 224, num_classes: int = 1000, batch_norm: bool = False, batch: int = 1,
          weight_bits: int = 8, act_bits: int = 8) -> LayerGraph:
    """VGG-16, configuration D (Simonyan & Zisserman, ICLR 2015); 3×3 convolutions with bias.

    The classifier takes 512·(image_size/32)² features, as in the paper (7×7 at 224).
    """
    n = _Net("vgg16" + ("_bn" if batch_norm else ""), (3, image_size, image_size), batch, weight_bits, act_bits)
    x = None
    for stage, (width, reps) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), start=1):
        for r in range(1, reps + 1):
            x = n.conv(f"conv{stage}_{r}", x, width, 3, bias=True)
            if batch_norm:
                x = n.bn(f"bn{stage}_{r}", x)
            x = n.act(f"relu{stage}_{r}", x)
        x = n.pool(f"pool{stage}", x, 2, 2)
    x = n.act("relu6", n.linear("fc6", x, 4096))
    x = n.act("relu7", n.linear("fc7", x, 4096))
    n.linear("fc8", x, num_classes)
    return n.graph


@_builder
def alexnet(image_size: int = 224, num_classes: int = 1000, batch: int = 1, weight_bits: int = 8,
            act_bits: int = 8) -> LayerGraph:
    """AlexNet (Krizhevsky et al., NeurIPS 2012), torchvision's single-tower variant (64-192-384-256-256)."""
    n = _Net("alexnet", (3, image_size, image_size), batch, weight_bits, act_bits)
    x = n.pool("pool1", n.act("relu1", n.conv("conv1", None, 64, 11, 4, 2, bias=True)), 3, 2)
    x = n.pool("pool2", n.act("relu2", n.conv("conv2", x, 192, 5, 1, 2, bias=True)), 3, 2)
    x = n.act("relu3", n.conv("conv3", x, 384, 3, bias=True))
    x = n.act("relu4", n.conv("conv4", x, 256, 3, bias=True))
    x = n.pool("pool5", n.act("relu5", n.conv("conv5", x, 256, 3, bias=True)), 3, 2)
    x = n.act("relu6", n.linear("fc6", x, 4096))
    x = n.act("relu7", n.linear("fc7", x, 4096))
    n.linear("fc8", x, num_classes)
    return n.graph


@_builder
def mlp(input_size: int = 784, hidden: tuple = (128, 64), num_classes: int = 10, batch: int = 1,
        weight_bits: int = 8, act_bits: int = 8) -> LayerGraph:
    """Multi-layer perceptron 784-128-64-10 with ReLU (an MNIST classifier); biases on every layer."""
    n = _Net("mlp", (input_size, 1, 1), batch, weight_bits, act_bits)
    x = None
    for i, width in enumerate(hidden, start=1):
        x = n.act(f"relu{i}", n.linear(f"fc{i}", x, width))
    n.linear(f"fc{len(hidden) + 1}", x, num_classes)
    return n.graph


@_builder
def small_cnn(image_size: int = 28, in_channels: int = 1, num_classes: int = 10, padding: str = "valid",
              batch: int = 1, weight_bits: int = 8, act_bits: int = 8) -> LayerGraph:
    """conv32-pool-conv64-pool-conv64-fc64-fc10, 3×3 convolutions with bias, 2×2 max-pools, ReLU.

    The Keras/TensorFlow tutorial CNN. ``padding='valid'`` (Keras' default, no padding) gives
    28→26→13→11→5→3 and 93,322 parameters on 28×28×1; ``'same'`` keeps the size through each conv.
    """
    require(padding in ("valid", "same"),
            f"workload 'small-cnn': parameter 'padding' must be 'valid' or 'same', got {padding!r}")
    pad = 0 if padding == "valid" else 1
    n = _Net("small-cnn", (in_channels, image_size, image_size), batch, weight_bits, act_bits)
    x = n.pool("pool1", n.act("relu1", n.conv("conv1", None, 32, 3, padding=pad, bias=True)), 2, 2)
    x = n.pool("pool2", n.act("relu2", n.conv("conv2", x, 64, 3, padding=pad, bias=True)), 2, 2)
    x = n.act("relu3", n.conv("conv3", x, 64, 3, padding=pad, bias=True))
    x = n.act("relu4", n.linear("fc1", x, 64))
    n.linear("fc2", x, num_classes)
    return n.graph


# ---- transformers -------------------------------------------------------------------------------
def _attention(n: _Net, p: str, x: str, width: int, heads: int, seq: int, keys: int, fused_qkv: bool):
    """Multi-head self-attention on ``seq`` query tokens over ``keys`` key tokens; returns the output
    projection. QKᵀ and AV are per-head activation×activation products (``Layer.matmul``)."""
    hd = width // heads
    if fused_qkv:
        q = k = v = n.linear(p + "qkv", x, 3 * width, kind="qkv")
    else:
        q, k, v = (n.linear(p + s, x, width, kind=s) for s in ("query", "key", "value"))
    s = n.matmul(p + "scores", [q, k] if k != q else [q], seq, keys, hd, heads, "attention-qk")
    s = n.vector(p + "softmax", "softmax", s, "softmax")
    o = n.matmul(p + "context", [s, v], seq, hd, keys, heads, "attention-av")
    return n.linear(p + "attn_out", o, width, kind="attn-out")


def _check_heads(name: str, width: int, heads: int) -> None:
    require(width % heads == 0,
            f"workload '{name}': parameter 'width' ({width}) must be divisible by 'heads' ({heads})")


@_builder
def bert(seq_len: int = 128, layers: int = 12, width: int = 768, heads: int = 12, ffn: int = 3072,
         vocab: int = 30522, max_positions: int = 512, type_vocab: int = 2, pooler: bool = True,
         batch: int = 1, weight_bits: int = 8, act_bits: int = 8) -> LayerGraph:
    """BERT encoder (Devlin et al., NAACL 2019), Hugging Face ``BertModel`` layout: post-LayerNorm,
    separate Q/K/V projections, GELU, word + position + token-type embeddings, tanh pooler on [CLS]."""
    _check_heads("bert", width, heads)
    require(seq_len <= max_positions, f"workload 'bert': parameter 'seq_len' ({seq_len}) exceeds "
                                      f"'max_positions' ({max_positions}); shorten the sequence")
    n = _Net("bert", (width, 1, seq_len), batch, weight_bits, act_bits)
    e = n.vector("embeddings.add1", "add", [n.embedding("embeddings.word", vocab, width, seq_len, "token-embedding"),
                                            n.embedding("embeddings.position", max_positions, width, seq_len,
                                                        "position-embedding")], "add")
    e = n.vector("embeddings.add2", "add",
                 [e, n.embedding("embeddings.token_type", type_vocab, width, seq_len, "type-embedding")], "add")
    x = n.vector("embeddings.ln", "norm", e, "layernorm", affine=True)
    for i in range(layers):
        p = f"encoder.{i}."
        a = _attention(n, p, x, width, heads, seq_len, seq_len, fused_qkv=False)
        x = n.vector(p + "ln1", "norm", n.vector(p + "attn_add", "add", [a, x], "residual"), "layernorm", affine=True)
        f = n.act(p + "gelu", n.linear(p + "ffn_up", x, ffn, kind="ffn-up"), "gelu")
        f = n.linear(p + "ffn_down", f, width, kind="ffn-down")
        x = n.vector(p + "ln2", "norm", n.vector(p + "ffn_add", "add", [f, x], "residual"), "layernorm", affine=True)
    if pooler:
        n.act("pooler.tanh", n.linear("pooler.dense", x, width, kind="pooler", tokens=1), "tanh")
    return n.graph


@_builder
def gpt(seq_len: int = 128, layers: int = 12, width: int = 768, heads: int = 12, vocab: int = 50257,
        max_positions: int = 1024, mlp_ratio: int = 4, kv_cache: int = 0, lm_head: bool = False,
        batch: int = 1, weight_bits: int = 8, act_bits: int = 8) -> LayerGraph:
    """GPT-style decoder, GPT-2 layout (Radford et al. 2019): pre-LayerNorm, fused QKV, GELU, final norm.

    ``seq_len`` new tokens attend to ``kv_cache`` cached tokens plus themselves (``kv_cache=0``: a
    prefill of the prompt; ``seq_len=1, kv_cache=N``: one decoding step, whose attention reads the
    cached keys/values). The causal mask does not change the dense work counted here.
    ``lm_head`` adds the vocabulary projection; GPT-2 ties it to the token embedding, so with it on,
    ``graph.params`` counts that matrix twice (the published 124 M counts it once).
    """
    _check_heads("gpt", width, heads)
    keys = kv_cache + seq_len
    require(keys <= max_positions, f"workload 'gpt': seq_len + kv_cache ({keys}) exceeds 'max_positions' "
                                   f"({max_positions}); shorten the sequence or the cache")
    n = _Net("gpt", (width, 1, seq_len), batch, weight_bits, act_bits)
    x = n.vector("embed_add", "add", [n.embedding("wte", vocab, width, seq_len, "token-embedding"),
                                      n.embedding("wpe", max_positions, width, seq_len, "position-embedding")],
                 "add")
    for i in range(layers):
        p = f"h.{i}."
        a = _attention(n, p, n.vector(p + "ln1", "norm", x, "layernorm", affine=True), width, heads, seq_len, keys,
                       fused_qkv=True)
        x = n.vector(p + "attn_add", "add", [a, x], "residual")
        f = n.linear(p + "mlp_up", n.vector(p + "ln2", "norm", x, "layernorm", affine=True), mlp_ratio * width,
                     kind="ffn-up")
        f = n.linear(p + "mlp_down", n.act(p + "gelu", f, "gelu"), width, kind="ffn-down")
        x = n.vector(p + "mlp_add", "add", [f, x], "residual")
    x = n.vector("ln_f", "norm", x, "layernorm", affine=True)
    if lm_head:
        n.linear("lm_head", x, vocab, bias=False, kind="lm-head+tied")
    return n.graph


# ---- registry -----------------------------------------------------------------------------------
def _named(builder, name):
    def build(**params):
        g = builder(**params)
        g.name = name
        return g

    build.defaults = builder.defaults
    build.__doc__ = builder.__doc__
    return build


_gpt2_small = _preset(gpt, "gpt2-small", layers=12, width=768, heads=12)
_gpt2_medium = _preset(gpt, "gpt2-medium", layers=24, width=1024, heads=16)
_bert_large = _preset(bert, "bert-large", layers=24, width=1024, heads=16, ffn=4096)
_bert_base = _named(bert, "bert-base")

ZOO: dict[str, Callable[..., LayerGraph]] = {}
for _names, _fn in (
    (("resnet18", "resnet-18", "resnet_18"), resnet18),
    (("resnet50", "resnet-50", "resnet_50"), resnet50),
    (("mobilenetv2", "mobilenet-v2", "mobilenet_v2"), mobilenetv2),
    (("vgg16", "vgg-16", "vgg_16"), vgg16),
    (("alexnet",), alexnet),
    (("bert-base", "bert_base", "bert"), _bert_base),
    (("bert-large", "bert_large"), _bert_large),
    (("gpt", "gpt-decoder"), gpt),
    (("gpt2-small", "gpt2_small", "gpt2"), _gpt2_small),
    (("gpt2-medium", "gpt2_medium"), _gpt2_medium),
    (("mlp", "mlp-784-128-64-10"), mlp),
    (("small-cnn", "small_cnn"), small_cnn),
):
    for _n in _names:
        ZOO[_n] = _fn


def canonical_names() -> list[str]:
    """One name per network (the first of its aliases), for listings; ``ZOO`` holds every alias."""
    seen: dict[int, str] = {}
    for name, fn in ZOO.items():
        seen.setdefault(id(fn), name)
    return list(seen.values())
