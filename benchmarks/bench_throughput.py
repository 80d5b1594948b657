"""Throughput: the 784-512-512-10 MLP at batch 128."""
from .common import FRAMEWORKS, _TimeBase, _TrackBase, cases_with

_PARAMS = (cases_with("throughput"), list(FRAMEWORKS))


class ThroughputTrack(_TrackBase):
    params = _PARAMS


class ThroughputTime(_TimeBase):
    params = _PARAMS
