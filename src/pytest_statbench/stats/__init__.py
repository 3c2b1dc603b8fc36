"""Statistics for comparing timings: pure functions over numpy arrays.

Every function that returns a result object reports ``status`` ("ok", "insufficient-data",
"identical" or "deterministic", see results.py) and ``reason``. Degenerate data never raises;
invalid arguments raise ValueError or TypeError.
"""

from .anova import one_way_anova, welch_anova
from .corrections import benjamini_hochberg, holm
from .effect import cohens_d, effect_size_band, hedges_g
from .intervals import ratio_interval
from .log_ratio import log_ratio_interval
from .posthoc import games_howell, tukey_hsd
from .rank import mann_whitney, vargha_delaney_band
from .results import (
    DETERMINISTIC,
    IDENTICAL,
    INSUFFICIENT_DATA,
    OK,
    STATUSES,
    AnovaResult,
    EffectSize,
    GeometricMeanRatio,
    PairwiseResult,
    RankTestResult,
    RatioInterval,
    TTestResult,
)
from .summary import geometric_mean, geometric_mean_ratio
from .tests import paired_ttest, student_ttest, welch_ttest

__all__ = [
    "DETERMINISTIC",
    "IDENTICAL",
    "INSUFFICIENT_DATA",
    "OK",
    "STATUSES",
    "AnovaResult",
    "EffectSize",
    "GeometricMeanRatio",
    "PairwiseResult",
    "RankTestResult",
    "RatioInterval",
    "TTestResult",
    "benjamini_hochberg",
    "cohens_d",
    "effect_size_band",
    "games_howell",
    "geometric_mean",
    "geometric_mean_ratio",
    "hedges_g",
    "holm",
    "log_ratio_interval",
    "mann_whitney",
    "one_way_anova",
    "paired_ttest",
    "ratio_interval",
    "student_ttest",
    "tukey_hsd",
    "vargha_delaney_band",
    "welch_anova",
    "welch_ttest",
]
