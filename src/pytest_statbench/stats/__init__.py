"""Statistics for comparing timings: pure functions over numpy arrays.

Every function that returns a result object reports ``status`` ("ok" or "insufficient-data") and
``reason``; degenerate data never raises, and invalid arguments raise ValueError.
"""

from .corrections import holm
from .effect import cohens_d, effect_size_band
from .intervals import ratio_interval
from .results import (
    INSUFFICIENT_DATA,
    OK,
    AnovaResult,
    EffectSize,
    RatioInterval,
    TTestResult,
)
from .summary import geometric_mean
from .tests import one_way_anova, paired_ttest, welch_ttest

__all__ = [
    "INSUFFICIENT_DATA",
    "OK",
    "AnovaResult",
    "EffectSize",
    "RatioInterval",
    "TTestResult",
    "cohens_d",
    "effect_size_band",
    "geometric_mean",
    "holm",
    "one_way_anova",
    "paired_ttest",
    "ratio_interval",
    "welch_ttest",
]
