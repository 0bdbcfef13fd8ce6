"""Evaluation set "sheet": rows of the old coaching spreadsheet, typed in a hurry.

Generator B of two (the other is eval_form.py; they share no vocabulary or template).
Coaches and coachees filled cells: "areas" as semicolon or comma lists, "background"
as note fragments, goals as dashed bullet points or one run-on line. Each person's
eval skills (SHEET_SKILLS below, this file's own vocabulary) are drawn first, the
cells are written from them. Noise: abbreviations ("mgmt", "w/", "&"), shouting
capitals, missing spaces after punctuation, repeated words, "n/a" cells, trailing
"etc", department and grade shorthands in the background notes, preferences restated
in the goals cell.
"""

from __future__ import annotations

import random
from typing import Any

from eval_common import GRADES, SPLIT_SEEDS, Person, Request, assemble, new_id

BASE_SEED = 73_000

# family -> competency -> ways people wrote it in the sheet
SHEET_SKILLS: dict[str, dict[str, list[str]]] = {
    "managing-people": {
        "first-time-manager": [
            "becoming a manager for the first time",
            "new line managers",
            "first management role",
        ],
        "coaching-style": [
            "coaching style of management",
            "coaching your own staff",
            "asking not telling",
        ],
        "absence": [
            "attendance and sickness absence cases",
            "absence management",
            "handling long term sick",
        ],
        "conflict": [
            "conflict in teams",
            "mediation between colleagues",
            "resolving disputes at work",
        ],
    },
    "getting-on": {
        "applications": [
            "job applications",
            "CV and personal statement",
            "application forms and sifts",
        ],
        "assessment-centres": [
            "assessment centres",
            "role plays & in-tray exercises",
            "fast stream style assessments",
        ],
        "networking": [
            "networking",
            "building your network across government",
            "getting known by senior people",
        ],
        "lateral-moves": [
            "lateral moves",
            "moving departments on level transfer",
            "finding the next role at the same grade",
        ],
    },
    "numbers": {
        "excel": ["Excel", "advanced spreadsheets, pivot tables and VLOOKUP", "excel modelling"],
        "economics": [
            "economic appraisal",
            "cost benefit analysis and the Green Book",
            "economics for non-economists",
        ],
        "forecasting": [
            "forecasting and modelling",
            "demand forecasting",
            "building models to predict volumes",
        ],
        "evaluation": [
            "evaluation of programmes",
            "impact evaluation",
            "theory of change and evaluation plans",
        ],
        "machine-learning": ["machine learning", "AI and data science", "predictive models and ML"],
    },
    "words": {
        "briefing": ["briefing senior leaders", "one page briefs", "writing briefing packs"],
        "correspondence": [
            "ministerial correspondence",
            "answering MPs letters",
            "PQs and correspondence",
        ],
        "storytelling": [
            "storytelling",
            "telling a story with evidence",
            "narrative and persuasive writing",
        ],
        "social-media": [
            "social media",
            "digital campaigns & social channels",
            "running the department's twitter",
        ],
    },
    "running-things": {
        "programme-mgmt": [
            "programme management",
            "running big programmes",
            "portfolio & programme mgmt",
        ],
        "prince2": ["PRINCE2", "waterfall project methods", "stage gates and PIDs"],
        "it-transformation": [
            "IT transformation",
            "moving systems to the cloud",
            "legacy IT replacement",
        ],
        "estates": [
            "estates and office moves",
            "hub moves & workplace change",
            "property and facilities",
        ],
    },
    "wellbeing-and-self": {
        "mental-health": [
            "mental health at work",
            "being a mental health first aider",
            "looking after your wellbeing",
        ],
        "assertiveness": ["assertiveness", "saying no", "pushing back on unreasonable asks"],
        "time-management": [
            "time management",
            "prioritising competing demands",
            "getting organised and on top of email",
        ],
        "menopause": ["menopause at work", "menopause support", "working through the menopause"],
    },
    "senior-leadership": {
        "board-level": [
            "board level working",
            "non exec boards & committees",
            "working with a board",
        ],
        "vision": [
            "setting a vision",
            "leading with purpose",
            "inspiring people behind a direction",
        ],
        "org-design": [
            "organisation design",
            "designing structures & reorganising teams",
            "org design and operating models",
        ],
        "crisis": [
            "crisis management",
            "running a COVID style emergency response",
            "incident and crisis response",
        ],
    },
    "law-and-rules": {
        "legal-advice": ["working with lawyers", "commissioning legal advice", "legal risk"],
        "regulation": [
            "regulation and regulators",
            "designing regulatory regimes",
            "better regulation",
        ],
        "data-protection": [
            "data protection and GDPR",
            "information rights and FOI",
            "handling personal data lawfully",
        ],
        "parliament": [
            "parliamentary select committees",
            "preparing a minister for committee",
            "Parliament and scrutiny",
        ],
    },
    "inclusion": {
        "race-equality": [
            "race equality",
            "being from an ethnic minority background in the CS",
            "anti racism work",
        ],
        "disability": [
            "disability inclusion",
            "being a disabled leader",
            "workplace adjustments passports",
        ],
        "lgbt": ["LGBT+ networks", "being out at work", "LGBT inclusion"],
        "social-mobility": [
            "social mobility",
            "coming from a non-graduate background",
            "first generation professionals",
        ],
    },
    "customers": {
        "complaints": [
            "complaints handling",
            "the ombudsman & complaints",
            "turning complaints into improvements",
        ],
        "frontline": [
            "frontline delivery",
            "working on the front line with the public",
            "face to face services",
        ],
        "digital-channels": [
            "moving customers online",
            "channel shift to digital",
            "web chat & online forms",
        ],
        "vulnerable-customers": [
            "vulnerable customers",
            "safeguarding",
            "supporting people in crisis",
        ],
    },
}
GROUP_OF = {skill: family for family, skills in SHEET_SKILLS.items() for skill in skills}
SKILLS = sorted(GROUP_OF)

DEPTS = {
    "dft": ["DfT", "Dept for Transport", "transport"],
    "mhclg": ["MHCLG", "DLUHC", "levelling up"],
    "hmrc": ["HMRC", "hmrc", "the tax office"],
    "dwp": ["DWP", "dwp", "JCP"],
    "dbt": ["DBT", "DIT", "trade dept"],
    "dsit": ["DSIT", "science dept", "DCMS digital"],
    "hmpps": ["HMPPS", "prisons & probation", "NOMS"],
    "ch": ["Companies House", "CH"],
    "hmlr": ["Land Registry", "HMLR"],
    "dvsa": ["DVSA", "driving standards"],
    "ons": ["ONS", "stats office"],
    "co": ["CO", "Cab Office", "cabinet office"],
    "ho": ["HO", "home office", "Border Force"],
    "moj": ["MOJ", "justice"],
}
TOWNS = {
    "north-west": ["Mcr", "Manchester", "Bootle", "Warrington"],
    "yorkshire-humber": ["Sheff", "Leeds", "Bradford", "Doncaster"],
    "wales": ["Cardiff", "Swansea"],
    "london": ["London", "102 Petty France", "Whitehall", "Stratford"],
    "east-midlands": ["Nottingham", "Leicester", "Derby"],
    "south-east": ["Southampton", "Brighton", "Reading"],
    "scotland": ["Glasgow", "East Kilbride", "Edinburgh"],
    "east": ["Norwich", "Ipswich", "Peterborough"],
}
GRADE_SHORT = {
    "AA": ["AA"],
    "AO": ["AO", "AO grade"],
    "EO": ["EO", "EO/band C"],
    "HEO": ["HEO", "heo"],
    "SEO": ["SEO", "seo", "SEO (band 6)"],
    "G7": ["G7", "g7", "grade 7"],
    "G6": ["G6", "g6", "grade6"],
    "SCS1": ["SCS1", "SCS PB1", "DD"],
    "SCS2": ["SCS2", "Dir"],
}
ROLES = [
    "TL",
    "ops lead",
    "case mgr",
    "policy lead",
    "analyst",
    "PM",
    "HRBP",
    "finance BP",
    "SRO",
    "delivery mgr",
]
ABBREVIATIONS = [
    (" management", " mgmt"),
    (" with ", " w/ "),
    (" and ", " & "),
    (" people", " ppl"),
    (" because ", " bc "),
    (" department", " dept"),
    (" government", " govt"),
    (" experience", " exp"),
]
CHIT_CHAT = [
    "n/a",
    "tbc",
    "see previous yr",
    "(copied from last cohort)",
    "flexible on times",
    "pref Tues/Weds",
    "mostly wfh",
    "tea drinker!!",
    "new to the scheme",
    "was on the pilot",
    "ex-military",
    "fluent welsh speaker",
    "part time (3 days)",
    "any questions pls ask",
]


def _short(rng: random.Random, table: dict[str, list[str]], key: str) -> str:
    return rng.choice(table[key])


def _cell(rng: random.Random, skill: str) -> str:
    return rng.choice(SHEET_SKILLS[GROUP_OF[skill]][skill])


def _noise(rng: random.Random, text: str) -> str:
    if rng.random() < 0.6:
        for long, short in rng.sample(ABBREVIATIONS, 4):
            text = text.replace(long, short)
    if rng.random() < 0.2:
        text = text.replace(", ", ",").replace(". ", ".")
    if rng.random() < 0.15:
        words = text.split(" ")
        where = rng.randrange(len(words))
        words.insert(where, words[where])
        text = " ".join(words)
    if rng.random() < 0.15:
        words = text.split(" ")
        where = rng.randrange(len(words))
        words[where] = words[where].upper()
        text = " ".join(words)
    if rng.random() < 0.15:
        text += " etc"
    return text


def _years(rng: random.Random, what: str) -> str:
    start = rng.randint(2005, 2022)
    return f"{what} {start}-{start + rng.randint(1, 6)}"


def _background(rng: random.Random, dept: str, grade: str, region: str) -> list[str]:
    """Note fragments: career path through departments, grades and towns."""
    notes = []
    for _ in range(rng.choice([1, 2, 3])):
        other = rng.choice(list(DEPTS))
        past = GRADES[max(0, GRADES.index(grade) - rng.randint(0, 2))]
        town_region = rng.choice(list(TOWNS))
        notes.append(
            rng.choice(
                [
                    _years(rng, f"{_short(rng, GRADE_SHORT, past)} {_short(rng, DEPTS, other)}"),
                    f"prev {_short(rng, DEPTS, other)} ({_short(rng, TOWNS, town_region)})",
                    f"{rng.choice(ROLES)} @ {_short(rng, DEPTS, other)}",
                    f"{rng.randint(2, 20)} yrs in {_short(rng, DEPTS, other)}, {_short(rng, TOWNS, town_region)} site",
                ]
            )
        )
    notes.insert(
        0,
        rng.choice(
            [
                f"{_short(rng, GRADE_SHORT, grade)} {rng.choice(ROLES)}, {_short(rng, DEPTS, dept)} {_short(rng, TOWNS, region)}",
                f"currently {_short(rng, DEPTS, dept)} - {_short(rng, GRADE_SHORT, grade)}",
                f"{_short(rng, TOWNS, region)} based, {_short(rng, DEPTS, dept)}",
            ]
        ),
    )
    return notes


def make_coach(rng: random.Random) -> Person:
    """A spreadsheet row for a coach (a mentor in the service)."""
    dept = rng.choice(list(DEPTS))
    grade = rng.choice(GRADES[4:])
    region = rng.choice(list(TOWNS))
    skills = rng.sample(SKILLS, rng.choice([1, 2, 3, 3, 4, 5]))
    person = Person(
        profile_id=new_id(rng),
        role="mentor",
        department=dept,
        grade=grade,
        region=region,
        travel_regions=[],
        remote_ok=rng.random() < 0.8,
        job_title=rng.choice(ROLES),
        skills=skills,
    )
    areas = [_cell(rng, skill) for skill in skills]
    separator = rng.choice(["; ", ", ", " / ", "\n"])
    style = rng.random()
    if style < 0.45:
        person.expertise = areas
    elif style < 0.8:
        person.expertise_text = _noise(rng, separator.join(areas))
    else:
        person.expertise_text = _noise(
            rng,
            "can coach on "
            + ", ".join(areas[:-1])
            + (" and " if len(areas) > 1 else "")
            + areas[-1],
        )
    notes = _background(rng, dept, grade, region)
    if rng.random() < 0.5:
        notes.append(rng.choice(CHIT_CHAT))
    if rng.random() < 0.1:  # long: the whole history pasted in
        notes += _background(rng, dept, grade, region) + rng.sample(CHIT_CHAT, 3)
    if rng.random() < 0.1:  # nothing but n/a
        notes = ["n/a"]
    person.experience_text = _noise(rng, rng.choice(["; ", ". ", " | "]).join(notes))
    return person


def make_coachee(rng: random.Random) -> Request:
    """A spreadsheet row for a coachee and what they asked for."""
    dept = rng.choice(list(DEPTS))
    grade = rng.choice(GRADES[1:6])
    region = rng.choice(list(TOWNS))
    primary = rng.choice(SKILLS)
    secondary = rng.choice([s for s in SKILLS if s != primary]) if rng.random() < 0.6 else None
    filters: dict[str, Any] = {}
    prefs = []
    if rng.random() < 0.3:
        filters["exclude_own_department"] = True
        prefs.append(
            rng.choice(
                [
                    "NOT my own dept pls",
                    "outside " + _short(rng, DEPTS, dept) + " ideally",
                    "diff dept",
                ]
            )
        )
    elif rng.random() < 0.2:
        prefs.append(
            rng.choice(
                [
                    "ideally someone who knows " + _short(rng, DEPTS, dept),
                    "anyone from any dept fine",
                ]
            )
        )
    if rng.random() < 0.2:
        filters["min_grade"] = rng.choice(["G7", "G6", "SCS1"])
        prefs.append(f"{_short(rng, GRADE_SHORT, filters['min_grade'])}+")
    elif rng.random() < 0.15:
        prefs.append(rng.choice(["g7 or above", "someone senior", "SCS if poss"]))
    if rng.random() < 0.2:
        filters["region"] = region
        filters["accept_remote"] = rng.random() < 0.5
        prefs.append(f"f2f in {_short(rng, TOWNS, region)} if poss")
    elif rng.random() < 0.2:
        prefs.append(rng.choice(["teams is fine", "virtual ok", "in person pref"]))
    person = Person(
        profile_id=new_id(rng), role="mentee", department=dept, grade=grade, region=region
    )
    asks = [_cell(rng, primary)]
    if secondary:
        asks.append(_cell(rng, secondary))
    lead = rng.choice(
        ["", "want help w/ ", "need ", "would like coaching on ", "looking at ", "focus: "]
    )
    shape = rng.random()
    if shape < 0.12:  # the bare minimum
        person.goals_text = _noise(rng, asks[0])
        return Request(person, primary, secondary, filters)
    if shape < 0.5:
        goals = "\n".join(f"- {lead if i == 0 else ''}{ask}" for i, ask in enumerate(asks))
    else:
        goals = lead + " & ".join(asks)
    notes = _background(rng, dept, grade, region)[: rng.choice([1, 1, 2])]
    if rng.random() < 0.4:
        notes.append(rng.choice(CHIT_CHAT))
    if shape > 0.92:
        notes += _background(rng, dept, grade, region) + rng.sample(CHIT_CHAT, 2)
    parts = [*notes, goals, *prefs]
    if rng.random() < 0.5:
        parts = [goals, *notes, *prefs]
    person.goals_text = _noise(rng, "\n".join(parts))
    return Request(person, primary, secondary, filters)


def generate(split: str, mentors: int = 400, requests: int = 80) -> dict[str, Any]:
    """The whole set for one split, reproducible from the split's seed."""
    seed = BASE_SEED + SPLIT_SEEDS[split]
    rng = random.Random(seed)
    coaches = [make_coach(rng) for _ in range(mentors)]
    coachees = [make_coachee(rng) for _ in range(requests)]
    return assemble("sheet", split, seed, coaches, coachees, GROUP_OF)
