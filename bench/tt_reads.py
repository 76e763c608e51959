"""The time-travel reads through the real HTTP API: as-of rankings and scores, histories.

Every request is a GET sent one after another by one keep-alive client with a
logged-in admin's token, and timed from send to the last byte of the body.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import scheme
from bench.http_load import client
from bench.stats import Summary
from bench.tt_timeline import DIMENSION_CODES, Timeline
from domain.recorded_time import CHINA

WARM_UP = 5  # requests of each kind sent first and not counted
DATE_SHARE = 0.2  # as_of given as a date (the end of that day, Beijing time) rather than an instant


@dataclass(frozen=True)
class Get:
    kind: str
    path: str
    params: dict[str, str]


@dataclass
class Timings:
    """Seconds per request, by kind; statuses; and a size measure of each answer."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    sizes: dict[str, list[int]] = field(default_factory=dict)

    def summary_ms(self, *kinds: str) -> Summary:
        return Summary.of([value for kind in kinds for value in self.seconds.get(kind, [])]).scaled(1000)

    def mean_size(self, *kinds: str) -> float | None:
        values = [value for kind in kinds for value in self.sizes.get(kind, [])]
        return round(sum(values) / len(values), 1) if values else None


def _instant(rng: random.Random, timeline: Timeline) -> datetime:
    span = (timeline.last - timeline.first).total_seconds()
    return timeline.first + timedelta(seconds=rng.uniform(0, span))


def _as_of(rng: random.Random, moment: datetime) -> str:
    local = moment.astimezone(CHINA)
    return local.date().isoformat() if rng.random() < DATE_SHARE else local.isoformat(timespec="seconds")


def _year_at(rng: random.Random, timeline: Timeline, moment: datetime) -> int:
    """A year whose data had begun to arrive by ``moment`` (the first year before that)."""
    begun = [year for year in timeline.years if year <= moment.astimezone(CHINA).year]
    return rng.choice(begun or timeline.years[:1])


def plan(timeline: Timeline, codes: list[str], count: int, seed: int) -> list[Get]:
    """``count`` requests of each kind, shuffled so that no kind runs on a warmer cache."""
    rng = random.Random(seed)
    gets: list[Get] = []
    for _ in range(count):
        moment = _instant(rng, timeline)
        as_of = _as_of(rng, moment)
        gets.append(
            Get("asof_rankings", "/api/v1/rankings", {"year": str(_year_at(rng, timeline, moment)), "as_of": as_of})
        )
        moment = _instant(rng, timeline)
        year = str(_year_at(rng, timeline, moment))
        path = f"/api/v1/counties/{rng.choice(codes)}/scores"
        gets.append(Get("asof_scores", path, {"year": year, "as_of": _as_of(rng, moment)}))
        gets.append(Get("rankings", "/api/v1/rankings", {"year": str(rng.choice(timeline.years))}))
        node_kind, node = rng.choice(
            [
                ("total", "total"),
                ("dimension", rng.choice(DIMENSION_CODES)),
                ("indicator", rng.choice(scheme.indicator_codes())),
            ]
        )
        path = f"/api/v1/counties/{rng.choice(codes)}/scores/{node}/history"
        gets.append(Get(f"history_{node_kind}", path, {"year": str(rng.choice(timeline.years))}))
    rng.shuffle(gets)
    return gets


def _size(kind: str, body: Any) -> int:
    """Counties in a ranking, nodes in a scorecard, changes in a history."""
    if kind in ("asof_rankings", "rankings"):
        return len(body["counties"])
    if kind == "asof_scores":
        return len(body["nodes"])
    return len(body["changes"])


def measure(base_url: str, token: str, gets: list[Get]) -> Timings:
    timings = Timings()
    with client(base_url) as http:
        http.headers.update({"Authorization": f"Bearer {token}"})
        warmed: Counter[str] = Counter()
        for get in gets:
            if warmed[get.kind] < WARM_UP:
                warmed[get.kind] += 1
                http.get(get.path, params=get.params)
        for get in gets:
            began = time.perf_counter()
            response = http.get(get.path, params=get.params)
            elapsed = time.perf_counter() - began
            timings.statuses[f"{get.kind}:{response.status_code}"] += 1
            if response.status_code == 200:
                timings.seconds.setdefault(get.kind, []).append(elapsed)
                timings.sizes.setdefault(get.kind, []).append(_size(get.kind, response.json()))
    return timings


def consistency(base_url: str, token: str, years: list[int]) -> dict[str, Any]:
    """As of now, every year's ranking from the temporal model equals the current one."""
    now = (datetime.now(UTC) - timedelta(seconds=1)).astimezone(CHINA).isoformat(timespec="seconds")
    checked: dict[str, Any] = {}
    with client(base_url) as http:
        http.headers.update({"Authorization": f"Bearer {token}"})
        for year in years:
            current = http.get("/api/v1/rankings", params={"year": str(year)}).json()["counties"]
            as_of = http.get("/api/v1/rankings", params={"year": str(year), "as_of": now}).json()["counties"]
            fields = ("county", "total", "grade", "rank", "region_rank")
            same = [tuple(e[f] for f in fields) for e in current] == [tuple(e[f] for f in fields) for e in as_of]
            checked[str(year)] = {"counties": len(current), "equal": same}
    return checked
