"""Throughput: the 784-512-512-10 MLP at batch 128."""
from .common import FRAMEWORKS, _TimeBase, _TrackBase, cases_with, run_cases

_PARAMS = (cases_with("throughput"), list(FRAMEWORKS))


class ThroughputTrack(_TrackBase):
    params = _PARAMS

    def setup_cache(self):
        return run_cases(_PARAMS[0])


class ThroughputTime(_TimeBase):
    params = _PARAMS
