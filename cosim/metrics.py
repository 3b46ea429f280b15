"""The names of what a sweep records, with their units: one place that the search, its store, its
fronts and the CLI read (and that imports nothing of cosim, so none of them import each other for it).
"""

# Every metric a sweep records (units in the names). Spec-only metrics need no simulation.
SIM_METRICS = ("latency_s", "energy_j", "edp_j_s", "total_cycles", "stall_cycles", "macs", "effectual_macs",
               "dram_bytes", "utilization", "throughput_inferences_per_s")
SPEC_METRICS = ("peak_macs_per_cycle", "peak_macs_per_s", "sram_kib", "area_mm2")
WORKLOAD_METRICS = ("weight_density", "params_nonzero", "model_bytes", "accuracy", "accuracy_proxy_weight_norm",
                    "accuracy_measured_or_proxy", "accuracy_proxy_network_aware")
METRICS = SIM_METRICS + SPEC_METRICS + WORKLOAD_METRICS
POINT_COLUMNS = ("id", "candidate", "kind", "workload", "sparsity", "allocation", "bits", "recipe", "hw")
COLUMNS = POINT_COLUMNS + ("status", "reason") + METRICS
# Objectives a sweep can rank by; these are maximised, the rest minimised.
MAXIMISED = ("accuracy", "accuracy_proxy_weight_norm", "accuracy_measured_or_proxy", "accuracy_proxy_network_aware",
             "utilization",
             "throughput_inferences_per_s")
