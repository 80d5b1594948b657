"""The tutorial cases: perceptron, single neurons, 2-3-1 nets, moons, California housing."""
from .common import FRAMEWORKS, _TimeBase, _TrackBase, cases_with, run_cases, cases_timed

_PARAMS = (cases_with("tutorial"), list(FRAMEWORKS))


class TutorialTrack(_TrackBase):
    params = _PARAMS

    def setup_cache(self):
        return run_cases(_PARAMS[0])

_TIME_PARAMS = (cases_timed("tutorial"), list(FRAMEWORKS))

if _TIME_PARAMS[0]:  # the full profile's: the fast one re-times nothing (common.cases_timed)
    class TutorialTime(_TimeBase):
        params = _TIME_PARAMS
