"""Real-data cases: California (8 features), diabetes, breast cancer, digits."""
from .common import FRAMEWORKS, TimeBase, TrackBase, cases_with

_PARAMS = (cases_with("real"), list(FRAMEWORKS))


class RealDataTrack(TrackBase):
    params = _PARAMS


class RealDataTime(TimeBase):
    params = _PARAMS
