"""scratchnet's own overhead: two ratios, each against its reference timed in the same process.

* ``track_framework_tax_2_3_1`` -- california-2-3-1 (per-sample SGD, float64): scratchnet epoch time /
  the hand-written NumPy reference loop's (``scratchnet.bench.measures.reference_loop``); target <= 1.0.
* ``track_microseconds_per_step_2_3_1`` -- the cost of one scratchnet step there (the cost model's).
* ``track_gemm_share_784`` -- mlp-784-512-512-10 (Adam, batch 128, float32): the bare GEMMs of an
  epoch / scratchnet's epoch time; target >= 0.85.

Every scratchnet run measures both ratios after training (``scratchnet.bench.measures.overhead``: interleaved,
several rounds, best round per side) and records them in runs.csv; these figures are the medians
over the profile's seeds of those recorded runs, so nothing is measured twice.
"""
from .common import run_cases

_CASES = ["california-2-3-1", "mlp-784-512-512-10"]


class Overhead:
    timeout = 1800

    def setup_cache(self):
        summary = run_cases(_CASES)
        sn = {case: summary[(case, "scratchnet")] for case in _CASES}
        return {"tax_2_3_1": sn["california-2-3-1"]["framework_tax"],
                "us_per_step_2_3_1": sn["california-2-3-1"]["seconds_per_step"] * 1e6,
                "gemm_share_784": sn["mlp-784-512-512-10"]["gemm_share"]}

    def track_framework_tax_2_3_1(self, figures):
        return figures["tax_2_3_1"]

    track_framework_tax_2_3_1.unit = "ratio"

    def track_microseconds_per_step_2_3_1(self, figures):
        return figures["us_per_step_2_3_1"]

    track_microseconds_per_step_2_3_1.unit = "us"

    def track_gemm_share_784(self, figures):
        return figures["gemm_share_784"]

    track_gemm_share_784.unit = "ratio"
