"""fpga datapath."""
