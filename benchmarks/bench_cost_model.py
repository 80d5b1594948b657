"""The two parts of an epoch's cost (scratchnet.bench.measures.cost_model), per framework.

``track_seconds_per_step`` (one optimizer step) and ``track_epoch_overhead_seconds`` (the fixed
cost of one epoch, whatever its length): medians over the profile's seeds of the runs the harness
records, on a tiny case (perceptron: 1 step an epoch, where the fixed cost is the whole story)
and a large one (california-2-3-1: 6,700 steps an epoch, where the steps are). The cost model is
measured by the runner after each run's training, so asv times nothing twice.
"""
from .common import FRAMEWORKS, _CaseBenchmark, run_cases

_CASES = ["perceptron", "california-2-3-1"]


class CostModel(_CaseBenchmark):
    params = (_CASES, list(FRAMEWORKS))

    def setup_cache(self):
        return run_cases(_CASES)

    def track_seconds_per_step(self, summary, case, framework):
        return summary[(case, framework)]["seconds_per_step"]

    track_seconds_per_step.unit = "seconds"

    def track_epoch_overhead_seconds(self, summary, case, framework):
        return summary[(case, framework)]["epoch_overhead_seconds"]

    track_epoch_overhead_seconds.unit = "seconds"
