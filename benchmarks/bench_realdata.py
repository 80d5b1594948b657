"""Real-data cases: California (8 features), diabetes, breast cancer, digits."""
from .common import FRAMEWORKS, _TimeBase, _TrackBase, cases_with, run_cases

_PARAMS = (cases_with("real"), list(FRAMEWORKS))


class RealDataTrack(_TrackBase):
    params = _PARAMS

    def setup_cache(self):
        return run_cases(_PARAMS[0])


class RealDataTime(_TimeBase):
    params = _PARAMS
