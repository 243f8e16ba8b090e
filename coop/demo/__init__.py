"""Demo data: the union tree of the seed article, one account for each role, and its story
(members, trainings, contests); `add_members` adds as many more as a benchmark needs.

Loading it twice changes nothing. The people are fictional (see people.py).

- tree.py: the union tree, the accounts, the federation's establishment standard;
- people.py: the fictional people and where they live;
- story.py: the seed article's members, trainings and contest, through the domain's rules;
- bulk.py: many generated members, quickly (`coop demo --members N`).
"""

from __future__ import annotations

from coop.demo.bulk import add_members, bulk_person
from coop.demo.people import MEMBER_PLAN, SEED, Person, demo_people
from coop.demo.story import EXTRA_JUDGES, load_contests, load_members, load_trainings
from coop.demo.tree import ACTOR, DEMO_PASSWORD, LOGINS, TREE, load_standards, load_tree

__all__ = [
    "ACTOR",
    "DEMO_PASSWORD",
    "EXTRA_JUDGES",
    "LOGINS",
    "MEMBER_PLAN",
    "SEED",
    "TREE",
    "Person",
    "add_members",
    "bulk_person",
    "demo_people",
    "load",
    "load_contests",
    "load_members",
    "load_standards",
    "load_trainings",
    "load_tree",
]


async def load() -> int:
    """The union tree, the demo accounts and the demo story; the number of members added."""
    await load_tree()
    added = await load_members()
    await load_trainings()
    await load_contests()
    await load_standards()
    return added
