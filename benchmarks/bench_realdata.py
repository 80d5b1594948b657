"""Real-data cases: California (8 features), diabetes, breast cancer, digits."""
from .common import FRAMEWORKS, _TimeBase, _TrackBase, cases_with

_PARAMS = (cases_with("real"), list(FRAMEWORKS))


class RealDataTrack(_TrackBase):
    params = _PARAMS


class RealDataTime(_TimeBase):
    params = _PARAMS
