"""Real-data cases: California (8 features), diabetes, breast cancer, digits."""
from .common import FRAMEWORKS, _TimeBase, _TrackBase, cases_with, run_cases, cases_timed

_PARAMS = (cases_with("real"), list(FRAMEWORKS))


class RealDataTrack(_TrackBase):
    params = _PARAMS

    def setup_cache(self):
        return run_cases(_PARAMS[0])

_TIME_PARAMS = (cases_timed("real"), list(FRAMEWORKS))

if _TIME_PARAMS[0]:  # the full profile's: the fast one re-times nothing (common.cases_timed)
    class RealDataTime(_TimeBase):
        params = _TIME_PARAMS
