"""What an ONNX model's initializers say without their values: the number format its weights are stored
in, and which external data files they point to that are missing (cosim/workloads/onnx_import.py)."""

from __future__ import annotations

import math
from pathlib import Path

# TensorProto element types of stored weights -> cosim number formats (onnx.proto: FLOAT 1, UINT8 2,
# INT8 3, FLOAT16 10, DOUBLE 11, BFLOAT16 16).
_ELEM_FORMATS = {1: "fp32", 2: "int8", 3: "int8", 10: "fp16", 11: "fp32", 16: "bf16"}


def stored_format(model) -> str:
    """The format most weight elements (initializers of rank ≥ 2) are stored in, '' if none is known."""
    count: dict[str, int] = {}
    for t in model.graph.initializer:
        fmt = _ELEM_FORMATS.get(int(t.data_type))
        if fmt and len(t.dims) >= 2:
            count[fmt] = count.get(fmt, 0) + math.prod(int(d) for d in t.dims)
    return max(count, key=count.get) if count else ""


def absent_external_data(model, path: Path) -> list[str]:
    """Names of the external data files the model's initializers point to that are not beside it.
    A simulator needs only shapes (``dims``), which stay in the model file itself."""
    missing: list[str] = []
    for t in model.graph.initializer:
        if t.data_location == 1:  # TensorProto.EXTERNAL
            location = next((e.value for e in t.external_data if e.key == "location"), "")
            if location and location not in missing and not (path.parent / location).is_file():
                missing.append(location)
    return missing
