"""Drawing a town's sample (004 三, 五): villages of the scheme's kind, and households per village.

The draw is a pure function of the seed, the population and the rules, so that anyone can
redraw a recorded sample and get the same one. It does not use ``random``: Python promises
the same sequence of ``random()`` for a seed across versions, but not of ``sample`` or
``shuffle``. Instead every candidate gets a rank, SHA-256 of ``seed`` and its code, and the
lowest ranks are drawn; a redraw anywhere, in any language, gives the same sample.

- villages: those of the town whose poverty-relief flag is the scheme's
  (``village_poverty_relief``), and that can give the households asked for; the
  ``villages_per_town`` of lowest rank;
- households of a drawn village: the eligible ones (carrying one of the scheme's
  ``household_flags``, e.g. 脱贫户 or 脱贫退出户); first, for each requirement (at least one
  残疾人户), the lowest-ranked carrying its flag, then the lowest-ranked of the rest up to
  ``households_per_village``.

An impossible draw is refused with the numbers (``镇 X 只有 3 个可抽查的非贫困村，抽样需要 4 个``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from domain.errors import InvalidCommand, Problem
from domain.towns import Household, Registry
from domain.verification_rules import SampleRules


@dataclass
class Population:
    """What a draw chose from: the eligible villages, and per village its eligible households
    and, per required flag, those of them carrying it. Stored in ``SampleDrawn``."""

    villages: list[str] = field(default_factory=list)
    households: dict[str, list[str]] = field(default_factory=dict)
    flagged: dict[str, dict[str, list[str]]] = field(default_factory=dict)


@dataclass
class Drawn:
    """The sample: villages in the order drawn, and each one's households in the order drawn."""

    villages: list[str] = field(default_factory=list)
    households: dict[str, list[str]] = field(default_factory=dict)


def rank(seed: str, code: str) -> str:
    """A candidate's place in the draw of ``seed``: the lowest are drawn first."""
    return hashlib.sha256(f"{seed}\x1f{code}".encode()).hexdigest()


def _lowest(seed: str, codes: list[str], count: int) -> list[str]:
    return sorted(codes, key=lambda code: (rank(seed, code), code))[:count]


def draw(seed: str, population: Population, rules: SampleRules) -> Drawn:
    """The sample of ``seed`` from ``population`` under ``rules``; a pure function."""
    villages = _lowest(seed, population.villages, rules.villages_per_town)
    households: dict[str, list[str]] = {}
    for village in villages:
        chosen: list[str] = []
        flagged = population.flagged.get(village, {})
        for requirement in rules.require:
            carrying = flagged.get(requirement.flag, [])
            have = sum(1 for code in chosen if code in carrying)
            rest = [code for code in carrying if code not in chosen]
            chosen.extend(_lowest(seed, rest, max(0, requirement.min - have)))
        rest = [code for code in population.households.get(village, []) if code not in chosen]
        chosen.extend(_lowest(seed, rest, max(0, rules.households_per_village - len(chosen))))
        households[village] = chosen
    return Drawn(villages, households)


def eligible(household: Household, rules: SampleRules) -> bool:
    """Meets the standard the scheme names (any of its flags); any household if it names none."""
    return not rules.household_flags or any(flag in rules.household_flags for flag in household.flags)


def population_of(registry: Registry, town: str, rules: SampleRules) -> Population:
    """The town's villages of the scheme's kind that can give the households asked for.

    Refused (422 ``sample_possible``) with the numbers when fewer than the sample needs."""
    town_name = registry.town_name(town)
    kind = "脱贫村" if rules.village_poverty_relief else "非贫困村"
    of_kind = sorted(v.code for v in registry.villages_of(town) if v.poverty_relief == rules.village_poverty_relief)
    population = Population()
    shortfalls: list[str] = []
    for village in of_kind:
        candidates = sorted(
            h.code for h in registry.households_of(village) if eligible(registry.households[h.code], rules)
        )
        flagged = {
            r.flag: [code for code in candidates if r.flag in registry.households[code].flags] for r in rules.require
        }
        why = _shortfall(registry.village_name(village), candidates, flagged, rules)
        if why:
            shortfalls.append(why)
            continue
        population.villages.append(village)
        population.households[village] = candidates
        population.flagged[village] = flagged
    if len(population.villages) < rules.villages_per_town:
        detail = f"（共 {len(of_kind)} 个{kind}" + (f"，其中{'；'.join(shortfalls)}" if shortfalls else "") + "）"
        raise InvalidCommand.of(
            "town",
            "sample_possible",
            f"镇“{town_name}”只有 {len(population.villages)} 个可抽查的{kind}{detail}，"
            f"抽样需要 {rules.villages_per_town} 个",
        )
    return population


def _shortfall(name: str, candidates: list[str], flagged: dict[str, list[str]], rules: SampleRules) -> str:
    standard = "、".join(rules.household_flags) or "任意"
    if len(candidates) < rules.households_per_village:
        return f"{name}符合标准（{standard}）的户只有 {len(candidates)} 户，需要 {rules.households_per_village} 户"
    for requirement in rules.require:
        carrying = len(flagged[requirement.flag])
        if carrying < requirement.min:
            return f"{name}符合标准的户中{requirement.flag}只有 {carrying} 户，需要 {requirement.min} 户"
    return ""


def sample_problems(drawn: Drawn, population: Population, rules: SampleRules) -> list[Problem]:
    """What a sample breaks of the rules (none for a draw from a population ``population_of``
    gave, unless two requirements cannot both be met within the households asked for)."""
    problems = []
    if len(set(drawn.villages)) != rules.villages_per_town or not set(drawn.villages) <= set(population.villages):
        problems.append(
            Problem("villages", "sample_villages", f"抽查村应为 {rules.villages_per_town} 个不同的可抽查村")
        )
    for village in drawn.villages:
        chosen = drawn.households.get(village, [])
        if len(set(chosen)) != len(chosen) or not set(chosen) <= set(population.households.get(village, [])):
            problems.append(Problem("households", "sample_households", f"村“{village}”的抽查户不在可抽查的户中"))
        if len(chosen) != rules.households_per_village:
            problems.append(
                Problem(
                    "households",
                    "sample_households",
                    f"村“{village}”抽查 {len(chosen)} 户，应为 {rules.households_per_village} 户",
                )
            )
        for requirement in rules.require:
            carrying = sum(
                1 for code in chosen if code in population.flagged.get(village, {}).get(requirement.flag, [])
            )
            if carrying < requirement.min:
                problems.append(
                    Problem(
                        "households",
                        "sample_requirement",
                        f"村“{village}”的抽查户中{requirement.flag}只有 {carrying} 户，"
                        f"需要 {requirement.min} 户，在每村 {rules.households_per_village} 户内无法同时满足",
                    )
                )
    return problems
