"""The tutorial cases: perceptron, single neurons, 2-3-1 nets, moons, California housing."""
from .common import FRAMEWORKS, _TimeBase, _TrackBase, cases_with, run_cases

_PARAMS = (cases_with("tutorial"), list(FRAMEWORKS))


class TutorialTrack(_TrackBase):
    params = _PARAMS

    def setup_cache(self):
        return run_cases(_PARAMS[0])


class TutorialTime(_TimeBase):
    params = _PARAMS
