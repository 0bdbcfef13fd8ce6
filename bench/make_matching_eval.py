"""Generate the matching evaluation set (deterministic; no matcher involved).

Mentors get a primary topic and one or two secondary topics from the topic bank;
their profiles are written from the mentor-side wordings plus unrelated small talk.
Mentee requests get a primary topic and sometimes a second one, written from the
mentee-side wordings (paraphrases, not the mentors' keywords) plus small talk.

Relevance (graded, from the latent topics only):
  2 = the mentor's primary topic is the mentee's primary topic, or the mentor covers
      every topic the mentee asked about;
  1 = the mentor covers at least one of the mentee's topics;
  0 = otherwise.

Usage:
  python bench/make_matching_eval.py            # test set  -> bench/data/matching_eval.json
  python bench/make_matching_eval.py --dev      # tuning set -> bench/data/matching_eval_dev.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matching_eval_topics import MENTEE_NOISE, MENTOR_NOISE, TOPICS, Topic

TEST_SEED = 20261122
DEV_SEED = 7
GRADES = ("HEO", "SEO", "G7", "G6", "SCS1", "SCS2")
MENTEE_GRADES = ("AO", "EO", "HEO", "SEO", "G7")
REGIONS = (
    "LONDON",
    "SOUTH_EAST",
    "SOUTH_WEST",
    "EAST",
    "WEST_MIDLANDS",
    "EAST_MIDLANDS",
    "NORTH_WEST",
    "NORTH_EAST",
    "YORKSHIRE",
    "SCOTLAND",
    "WALES",
    "NORTHERN_IRELAND",
)
DEPARTMENTS = ("DWP", "HMRC", "MOJ", "HO", "DFE", "DHSC", "CO", "HMT", "DBT", "MOD", "DEFRA")
GENERIC_TITLES = ("Deputy Director", "Team Leader", "Senior Adviser", "Grade 7 Lead", "Manager")
ALL_PROFESSIONS = sorted({code for topic in TOPICS for code in topic.professions})


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _mentor(rng: random.Random, index: int) -> dict[str, Any]:
    topics: list[Topic] = rng.sample(TOPICS, 1 + (2 if rng.random() < 0.3 else 1))
    primary, secondary = topics[0], topics[1:]
    expertise = rng.sample(primary.offer_items, 2) + [
        rng.choice(topic.offer_items) for topic in secondary
    ]
    rng.shuffle(expertise)
    expertise_sentences = [rng.choice(primary.offer_sentences)]
    if rng.random() < 0.5:
        expertise_sentences.append(rng.choice(rng.choice(secondary).offer_sentences))
    experience = [rng.choice(rng.choice(topics).offer_sentences)]
    experience += rng.sample(MENTOR_NOISE, rng.randint(1, 2))
    rng.shuffle(experience)
    roles = {"mentor": True, "mentee": False, "coach": rng.random() < 0.2}
    return {
        "profile_id": _id(rng),
        "display_name": f"Mentor {index:03d}",
        "initials": "M",
        "roles": roles,
        "department": rng.choice(DEPARTMENTS),
        "profession": rng.choice(primary.professions),
        "grade": rng.choice(GRADES),
        "region": rng.choice(REGIONS),
        "travel_regions": rng.sample(REGIONS, rng.randint(0, 2)),
        "remote_ok": rng.random() < 0.8,
        "job_title": rng.choice(primary.titles)
        if rng.random() < 0.7
        else rng.choice(GENERIC_TITLES),
        "expertise": list(dict.fromkeys(expertise)),
        "expertise_text": " ".join(dict.fromkeys(expertise_sentences)),
        "experience_text": " ".join(experience),
        "capacity": rng.randint(1, 4),
        "topics": [topic.key for topic in topics],
    }


def _mentee(rng: random.Random, index: int) -> dict[str, Any]:
    topics: list[Topic] = rng.sample(TOPICS, 2 if rng.random() < 0.4 else 1)
    primary = topics[0]
    goals = rng.sample(primary.goal_items, 2 if rng.random() < 0.5 else 1)
    goals += [rng.choice(topic.goal_items) for topic in topics[1:]]
    sentences = [rng.choice(topic.goal_sentences) for topic in topics]
    sentences.append(rng.choice(MENTEE_NOISE))
    rng.shuffle(sentences)
    if rng.random() < 0.25:
        # Some people write only free text, no goal list.
        goals = []
    return {
        "profile_id": _id(rng),
        "display_name": f"Mentee {index:03d}",
        "initials": "E",
        "roles": {"mentor": False, "mentee": True, "coach": False},
        "department": rng.choice(DEPARTMENTS),
        "profession": rng.choice(ALL_PROFESSIONS),
        "grade": rng.choice(MENTEE_GRADES),
        "region": rng.choice(REGIONS),
        "travel_regions": [],
        "remote_ok": True,
        "job_title": None,
        "goals": goals,
        "goals_text": " ".join(sentences),
        "topics": [topic.key for topic in topics],
    }


def relevance(mentee_topics: list[str], mentor_topics: list[str]) -> int:
    """Graded relevance from latent topics (see the module docstring)."""
    if mentor_topics[0] == mentee_topics[0] or set(mentee_topics) <= set(mentor_topics):
        return 2
    if set(mentee_topics) & set(mentor_topics):
        return 1
    return 0


def generate(seed: int, mentors: int = 300, mentees: int = 120) -> dict[str, Any]:
    """The evaluation set for a seed."""
    rng = random.Random(seed)
    mentor_rows = [_mentor(rng, index) for index in range(mentors)]
    mentee_rows = [_mentee(rng, index) for index in range(mentees)]
    judgements = {
        mentee["profile_id"]: {
            mentor["profile_id"]: grade
            for mentor in mentor_rows
            if (grade := relevance(mentee["topics"], mentor["topics"])) > 0
        }
        for mentee in mentee_rows
    }
    return {
        "seed": seed,
        "relevance_rule": (
            "2: mentor's primary topic is the mentee's primary topic, or the mentor "
            "covers all the mentee's topics; 1: any topic in common; 0: none"
        ),
        "mentors": mentor_rows,
        "mentees": mentee_rows,
        "judgements": judgements,
    }


def main() -> None:
    """Write the test (default) or tuning (--dev) set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", action="store_true", help="write the tuning set instead")
    args = parser.parse_args()
    name = "matching_eval_dev.json" if args.dev else "matching_eval.json"
    data = generate(DEV_SEED if args.dev else TEST_SEED)
    path = Path(__file__).resolve().parent / "data" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {"written": str(path), "mentors": len(data["mentors"]), "mentees": len(data["mentees"])}
        )
    )


if __name__ == "__main__":
    main()
