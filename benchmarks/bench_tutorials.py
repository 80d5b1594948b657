"""The tutorial cases: perceptron, single neurons, 2-3-1 nets, moons, California housing."""
from .common import FRAMEWORKS, TimeBase, TrackBase, cases_with

_PARAMS = (cases_with("tutorial"), list(FRAMEWORKS))


class TutorialTrack(TrackBase):
    params = _PARAMS


class TutorialTime(TimeBase):
    params = _PARAMS
