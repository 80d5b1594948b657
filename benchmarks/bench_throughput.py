"""Throughput: the 784-512-512-10 MLP at batch 128."""
from .common import FRAMEWORKS, TimeBase, TrackBase, cases_with

_PARAMS = (cases_with("throughput"), list(FRAMEWORKS))


class ThroughputTrack(TrackBase):
    params = _PARAMS


class ThroughputTime(TimeBase):
    params = _PARAMS
