"""systolic datapath."""
