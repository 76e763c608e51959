"""Server-rendered pages in Chinese for every role (ADR 23), beside the API on the same service."""

from __future__ import annotations

from fastapi import FastAPI

from pages import (
    analysis,
    audit,
    centre,
    clerk,
    consequences,
    coordinator,
    docs,
    errors,
    leader,
    rectification,
    reports,
    review,
    review_desk,
    signin,
    views,
)
from pages import verification as town_verification
from pages import verification_forms as town_verification_forms
from pages import verification_outcomes as town_verification_outcomes
from pages.assets import PREFIX, static_files


def install(app: FastAPI) -> None:
    """Pages, their static files, the offline ``/docs`` and the error pages, on ``app``."""
    app.mount(PREFIX, static_files(), name="static")
    app.include_router(docs.router)
    app.include_router(signin.router)
    app.include_router(views.router)
    app.include_router(leader.router)
    app.include_router(analysis.router)  # 数据分析: across counties, one county across years
    app.include_router(audit.router)
    app.include_router(centre.router)
    app.include_router(clerk.router)
    app.include_router(review.router)  # the evaluator's queue, feedback threads
    app.include_router(review_desk.router)  # an evaluator's decisions for one county
    app.include_router(coordinator.router)  # the county coordinator's indicators page
    app.include_router(consequences.router)  # the link to reward and penalty (一挂钩)
    app.include_router(reports.router)  # the annual reports: list, issue, download, check
    app.include_router(rectification.router)  # rectification: a county's ledger, the inspection queue
    app.include_router(town_verification.router)  # the county's verification of its towns (ADR 27)
    app.include_router(town_verification_forms.router)
    app.include_router(town_verification_outcomes.router)  # the use of the towns' results (004 八–九)
    errors.install(app)
