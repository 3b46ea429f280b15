"""Number formats: which arithmetic a network runs at, and whether a datapath has it.

A layer's ``weight_bits``/``act_bits``/``out_bits`` say how wide its operands are; its
``number_format`` says what they are (``int8``, ``fp16``, ``bf16``, ``fp8``, ...). An empty format
means "integers of the layer's width", which is what zoo, CSV and ONNX workloads carry unless told
otherwise. A GPU runs a 16-bit layer at fp16 or bf16, an 8-bit one at int8 or fp8: only the format
tells them apart, so ``with_precision(graph, "bf16")`` sets both the widths and the format of every
layer (``cosim simulate --precision bf16``).

Which formats a datapath has:

* tensor cores: the precisions their spec lists in ``macs_per_cycle_per_sm`` (the rate is per
  precision, from the vendor's datasheet or a measurement);
* systolic arrays and FPGA engines: integer MACs of ``pe_array.mac_bits`` / ``overlay.mac_bits`` (or
  DSP slices on FPGA dataflow designs); cosim's energy tables price integer MACs only there, so a
  floating-point format is refused rather than priced as an integer MAC of the same width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cosim.errors import CosimError


@dataclass(frozen=True)
class NumberFormat:
    name: str
    bits: int
    is_float: bool


# bf16: 8-bit exponent, 7-bit mantissa; fp8: E4M3/E5M2 (both 8 bits; the tensor-core rate is the same
# for both on Hopper, NVIDIA H100 datasheet).
NUMBER_FORMATS = {f.name: f for f in (
    NumberFormat("int4", 4, False), NumberFormat("int8", 8, False), NumberFormat("int16", 16, False),
    NumberFormat("int32", 32, False), NumberFormat("fp8", 8, True), NumberFormat("fp16", 16, True),
    NumberFormat("bf16", 16, True), NumberFormat("fp32", 32, True))}


def parse_precision(text: str) -> NumberFormat:
    """``"fp16"`` -> NumberFormat; a one-line error naming the known formats otherwise."""
    fmt = NUMBER_FORMATS.get(str(text).strip().lower())
    if fmt is None:
        raise CosimError(f"precision '{str(text)[:40]}' is unknown; use one of {', '.join(NUMBER_FORMATS)}")
    return fmt


def layer_format(layer: Any) -> str:
    """The format a layer's arithmetic runs at: its declared ``number_format``, else integers of its
    widest operand (``int8`` for the default 8-bit layers)."""
    return layer.number_format or f"int{max(layer.weight_bits, layer.act_bits)}"


def with_precision(graph: Any, precision: str) -> Any:
    """``graph`` with every layer's operands, outputs and format set to ``precision``."""
    fmt = parse_precision(precision)
    return graph.map_layers(lambda l: l.replace(weight_bits=fmt.bits, act_bits=fmt.bits, out_bits=fmt.bits,
                                                number_format=fmt.name))


def format_refusal(spec: Any, fmt_name: str) -> str | None:
    """Why ``spec`` cannot run arithmetic in ``fmt_name`` ("" formats: integers), or None where it can."""
    fmt = NUMBER_FORMATS[fmt_name] if fmt_name in NUMBER_FORMATS else None
    kind = getattr(spec, "kind", "")
    if kind == "sparse_tensor_core":
        listed = tuple(spec.macs_per_cycle_per_sm)
        if fmt is not None and fmt.name in listed:
            return None
        return (f"accelerator '{spec.name}' has no {fmt_name} tensor-core precision; use --precision one of "
                f"{', '.join(listed)} (macs_per_cycle_per_sm lists them)")
    if fmt is None or not fmt.is_float:
        return None  # integers of any width: a wider operand runs as several passes (FPGA) or is priced at mac_bits
    field = "overlay.mac_bits" if kind == "fpga" else "pe_array.mac_bits"
    return (f"accelerator '{spec.name}' has integer MACs ({field}); {fmt_name} arithmetic is not modelled on "
            f"{kind or 'this'} datapaths: use --precision int8 (or int16), or a tensor-core accelerator")


def precision_summary(layers: Any) -> str:
    """``"fp16 on 54 compute layers"`` or ``"int8 on 50, fp16 on 4 compute layers"``."""
    counts: dict[str, int] = {}
    for layer in layers:
        if layer.is_compute:
            f = layer_format(layer)
            counts[f] = counts.get(f, 0) + 1
    if not counts:
        return "no compute layers"
    return ", ".join(f"{f} on {n}" for f, n in sorted(counts.items(), key=lambda kv: -kv[1])) + " compute layers"
