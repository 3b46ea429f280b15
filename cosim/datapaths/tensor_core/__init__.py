"""tensor_core datapath."""
