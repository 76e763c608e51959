"""Every read model the platform keeps."""

from __future__ import annotations

from projections.audit_log import CountyEventsProjection
from projections.monitoring import MonitoringProjection
from projections.rectification import RectificationProjection
from projections.results import ResultsProjection
from projections.runner import Projection
from projections.scorecards import ScorecardsProjection
from projections.scores import CountyListProjection, ScoresProjection
from projections.temporal import ScoreHistoryProjection


def all_projections() -> list[Projection]:
    # The score history folds each county event by event; the current scores then reuse its result.
    # Monitoring folds its own copy (it needs the state after every event, and must not mutate theirs).
    return [
        CountyListProjection(),
        ScoreHistoryProjection(),
        ScoresProjection(),
        CountyEventsProjection(),
        MonitoringProjection(),
        ResultsProjection(),
        RectificationProjection(),
        ScorecardsProjection(),  # composes what the ones before it wrote
    ]


# The read models each kind of read needs (projection names, as stored in projection_tracking).
COUNTIES = ("counties",)
SCORES = ("counties", "scores", "results", "scorecards")
SCORES_AS_OF = ("counties", "score_history", "results")
HISTORY = ("counties", "score_history", "results")
EVENTS = ("counties", "county_events")
WARNINGS = ("counties", "monitoring")
RECTIFICATION = ("counties", "rectification")
