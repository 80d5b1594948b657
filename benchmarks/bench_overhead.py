"""scratchnet's own overhead (issue 9): two ratios, each against its reference timed in the same process.

* ``track_framework_tax_2_3_1`` -- california-2-3-1 (per-sample SGD, float64): scratchnet epoch time /
  the hand-written NumPy reference loop's (``scratchnet.bench.reference_loop``); target <= 1.0.
* ``track_gemm_share_784`` -- mlp-784-512-512-10 (Adam, batch 128, float32): the bare GEMMs of an
  epoch / scratchnet's epoch time; target >= 0.85.

Both are interleaved, several rounds, best round per side (``scratchnet.bench.overhead``).
"""
from scratchnet.bench.overhead import case_framework_tax, case_gemm_share


class Overhead:
    timeout = 900
    rounds = 5

    def setup_cache(self):
        tax = case_framework_tax("california-2-3-1", rounds=self.rounds, max_steps=2000)
        share = case_gemm_share("mlp-784-512-512-10", rounds=self.rounds, max_steps=32)
        return {"tax_2_3_1": tax.ratio, "us_per_step_2_3_1": tax.per_step(tax.numerator_seconds) * 1e6,
                "gemm_share_784": share.ratio}

    def track_framework_tax_2_3_1(self, figures):
        return figures["tax_2_3_1"]

    track_framework_tax_2_3_1.unit = "ratio"

    def track_microseconds_per_step_2_3_1(self, figures):
        return figures["us_per_step_2_3_1"]

    track_microseconds_per_step_2_3_1.unit = "us"

    def track_gemm_share_784(self, figures):
        return figures["gemm_share_784"]

    track_gemm_share_784.unit = "ratio"
