"""The tutorial cases: perceptron, single neurons, 2-3-1 nets, moons, California housing."""
from .common import FRAMEWORKS, _TimeBase, _TrackBase, cases_with, run_cases, time_cases_with

_PARAMS = (cases_with("tutorial"), list(FRAMEWORKS))


class TutorialTrack(_TrackBase):
    params = _PARAMS

    def setup_cache(self):
        return run_cases(_PARAMS[0])

_TIME_PARAMS = (time_cases_with("tutorial"), list(FRAMEWORKS))

if _TIME_PARAMS[0]:  # the fast profile times only its tiny case (common.time_cases_with)
    class TutorialTime(_TimeBase):
        params = _TIME_PARAMS
