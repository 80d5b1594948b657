"""Throughput: the 784-512-512-10 MLP at batch 128."""
from .common import FRAMEWORKS, _TimeBase, _TrackBase, cases_with, run_cases, cases_timed

_PARAMS = (cases_with("throughput"), list(FRAMEWORKS))


class ThroughputTrack(_TrackBase):
    params = _PARAMS

    def setup_cache(self):
        return run_cases(_PARAMS[0])

_TIME_PARAMS = (cases_timed("throughput"), list(FRAMEWORKS))

if _TIME_PARAMS[0]:  # the full profile's: the fast one re-times nothing (common.cases_timed)
    class ThroughputTime(_TimeBase):
        params = _TIME_PARAMS
