"""Evaluation set "form": people typing into the web form, in full sentences.

Generator A of two (the other is eval_sheet.py; they share no vocabulary or template).
Every person gets eval skills first (from FORM_SKILLS below, written for this file
only); the text is then written from those skills with prose templates, and wrapped
in the things people also type: an introduction with their department, grade and
place, a career history through other departments, grades and cities, restated
preferences, small talk. Noise: keyboard typos (neighbouring keys, dropped and doubled
letters), lower-case sentences, missing full stops, very short and very long texts.
"""

from __future__ import annotations

import random
from typing import Any

from eval_common import GRADES, Person, Request, assemble, new_id

BASE_SEED = 41_000

# group -> skill -> paraphrases (noun phrases; templates put them in sentences)
FORM_SKILLS: dict[str, dict[str, list[str]]] = {
    "delivery": {
        "agile-delivery": [
            "agile delivery",
            "running work in sprints with scrum",
            "kanban and agile ways of working",
        ],
        "project-planning": [
            "project planning",
            "building a realistic project plan and schedule",
            "milestone planning and critical path",
        ],
        "risk-management": [
            "risk and issue management",
            "keeping a RAID log that people actually use",
            "spotting delivery risks early",
        ],
        "benefits": [
            "benefits realisation",
            "measuring whether a programme delivered its benefits",
            "benefits mapping",
        ],
        "governance": [
            "programme governance",
            "setting up programme boards",
            "assurance and gateway reviews",
        ],
    },
    "data": {
        "python-analysis": [
            "data analysis in Python",
            "pandas and Jupyter notebooks",
            "automating analysis with code",
        ],
        "statistics": [
            "statistical modelling",
            "regression and significance testing",
            "designing statistical analyses",
        ],
        "dashboards": [
            "data visualisation",
            "building dashboards in Power BI or Tableau",
            "presenting numbers as clear charts",
        ],
        "sql": [
            "SQL and relational databases",
            "writing database queries",
            "data modelling and warehousing",
        ],
        "surveys": ["survey design", "writing questionnaires", "sampling and survey methods"],
    },
    "people": {
        "line-management": [
            "line management",
            "managing a team for the first time",
            "being a good line manager",
        ],
        "performance": [
            "difficult performance conversations",
            "managing underperformance",
            "giving honest feedback",
        ],
        "recruitment": [
            "recruitment and interviewing",
            "sifting and running interview panels",
            "hiring good people",
        ],
        "team-culture": [
            "building team culture",
            "creating a team where people feel safe to speak up",
            "team morale and trust",
        ],
        "hybrid-teams": [
            "managing hybrid and remote teams",
            "leading a team spread across offices",
            "keeping a distributed team connected",
        ],
    },
    "policy": {
        "policy-making": [
            "policy development",
            "turning evidence into policy options",
            "the policy cycle from idea to implementation",
        ],
        "submissions": [
            "writing ministerial submissions",
            "drafting advice for ministers",
            "briefing writing",
        ],
        "legislation": [
            "bill teams and legislation",
            "taking a bill through Parliament",
            "secondary legislation and statutory instruments",
        ],
        "consultation": [
            "public consultation",
            "running a consultation and analysing responses",
            "engaging the public on policy",
        ],
        "private-office": [
            "private office work",
            "working in a minister's private office",
            "handling the red box and diary",
        ],
    },
    "finance": {
        "budgets": [
            "budget management",
            "managing a delegated budget",
            "month-end forecasts and budget monitoring",
        ],
        "business-cases": [
            "business cases",
            "the five case model",
            "writing an outline business case",
        ],
        "spending-review": [
            "spending review bids",
            "negotiating with the Treasury",
            "making the case for funding",
        ],
        "procurement": [
            "procurement and contract management",
            "running a tender",
            "managing suppliers and contracts",
        ],
        "audit": [
            "internal audit and controls",
            "audit recommendations and assurance",
            "financial controls",
        ],
    },
    "comms": {
        "presenting": [
            "public speaking",
            "presenting to large audiences",
            "giving talks without nerves",
        ],
        "plain-english": [
            "writing in plain English",
            "clear and concise writing",
            "cutting jargon from documents",
        ],
        "media": ["media handling", "press office work", "dealing with journalists"],
        "stakeholders": [
            "stakeholder engagement",
            "building relationships with partners",
            "managing difficult stakeholders",
        ],
        "internal-comms": [
            "internal communications",
            "staff engagement campaigns",
            "intranet and all-staff messaging",
        ],
    },
    "digital": {
        "user-research": [
            "user research",
            "interviewing users and usability testing",
            "understanding user needs",
        ],
        "service-design": [
            "service design",
            "mapping end-to-end services",
            "designing services around users",
        ],
        "product-management": [
            "product management",
            "owning a product roadmap",
            "prioritising a product backlog",
        ],
        "software": ["software development", "writing production code", "web development and APIs"],
        "cyber": [
            "cyber security",
            "information security and threat modelling",
            "keeping systems secure",
        ],
    },
    "career": {
        "promotion": [
            "preparing for promotion",
            "getting ready for a promotion board",
            "moving up a grade",
        ],
        "interviews": [
            "Success Profiles interviews",
            "writing behaviour examples with STAR",
            "competency interviews",
        ],
        "career-change": [
            "changing profession",
            "moving into a different career path",
            "switching from operations to policy",
        ],
        "scs": [
            "applying for the Senior Civil Service",
            "the SCS assessment centre",
            "the step up to deputy director",
        ],
        "returning": [
            "returning to work after a long break",
            "coming back from maternity leave",
            "settling back in after a career break",
        ],
    },
    "wellbeing": {
        "resilience": [
            "resilience under pressure",
            "managing stress and workload",
            "avoiding burnout",
        ],
        "confidence": ["confidence", "imposter syndrome", "speaking up in meetings"],
        "caring": [
            "balancing work with caring responsibilities",
            "working part time with young children",
            "flexible working as a carer",
        ],
        "neurodiversity": [
            "neurodiversity at work",
            "working with ADHD or dyslexia",
            "reasonable adjustments",
        ],
    },
    "leadership": {
        "change": ["leading change", "taking a team through a restructure", "change management"],
        "strategy": [
            "strategic thinking",
            "setting a strategy and seeing the bigger picture",
            "long-term planning",
        ],
        "influencing": [
            "influencing senior leaders",
            "managing upwards",
            "getting buy-in from directors",
        ],
        "negotiation": [
            "negotiation",
            "negotiating with other departments",
            "reaching agreement when interests conflict",
        ],
        "decisions": [
            "decision making with incomplete information",
            "making decisions under uncertainty",
            "judgement calls",
        ],
    },
    "operations": {
        "contact-centre": [
            "contact centre operations",
            "running a call centre",
            "telephony and customer service operations",
        ],
        "casework": ["casework quality", "complex casework", "case management processes"],
        "lean": [
            "continuous improvement",
            "lean and process improvement",
            "fixing broken processes",
        ],
        "workforce": [
            "workforce planning",
            "resource planning for large operations",
            "capacity and demand modelling",
        ],
        "health-safety": [
            "health and safety",
            "estates and facilities",
            "building safety compliance",
        ],
    },
    "international": {
        "trade": ["trade policy", "trade agreements", "market access negotiations"],
        "diplomacy": [
            "diplomatic work",
            "working at an embassy overseas",
            "international relations",
        ],
        "devolution": [
            "working with the devolved governments",
            "devolution and the union",
            "intergovernmental relations",
        ],
        "eu": ["EU relations", "the UK-EU relationship", "European policy"],
    },
}
GROUP_OF = {skill: group for group, skills in FORM_SKILLS.items() for skill in skills}
SKILLS = sorted(GROUP_OF)

DEPARTMENTS = {
    "dwp": ["DWP", "the Department for Work and Pensions", "Jobcentre Plus"],
    "hmrc": ["HMRC", "HM Revenue and Customs", "the Revenue"],
    "ho": ["the Home Office", "Home Office", "HO"],
    "moj": ["MoJ", "the Ministry of Justice", "Justice"],
    "dvla": ["DVLA", "the DVLA", "the Driver and Vehicle Licensing Agency"],
    "desnz": ["DESNZ", "the energy department", "BEIS as it was"],
    "co": ["the Cabinet Office", "CO", "Cabinet Office"],
    "hmt": ["the Treasury", "HMT", "HM Treasury"],
    "dfe": ["DfE", "the Department for Education", "Education"],
    "defra": ["Defra", "DEFRA", "the environment department"],
    "ons": ["ONS", "the Office for National Statistics", "the ONS"],
    "mod": ["MOD", "the Ministry of Defence", "Defence"],
    "dhsc": ["DHSC", "the Department of Health", "Health and Social Care"],
    "fcdo": ["FCDO", "the Foreign Office", "the FCO as it was"],
    "hmcts": ["HMCTS", "the courts service", "HM Courts and Tribunals"],
}
PLACES = {
    "yorkshire-humber": ["Leeds", "Sheffield", "York", "Hull"],
    "north-west": ["Manchester", "Liverpool", "Preston"],
    "london": ["London", "Westminster", "Canary Wharf", "Croydon"],
    "wales": ["Cardiff", "Swansea", "Newport"],
    "scotland": ["Glasgow", "Edinburgh", "Dundee"],
    "north-east": ["Newcastle", "Sunderland", "Durham"],
    "west-midlands": ["Birmingham", "Coventry", "Telford"],
    "south-west": ["Bristol", "Exeter", "Plymouth"],
}
GRADE_WORDS = {
    "AA": ["AA", "an Administrative Assistant"],
    "AO": ["AO", "an Administrative Officer", "band B"],
    "EO": ["EO", "an Executive Officer", "band C"],
    "HEO": ["HEO", "a Higher Executive Officer", "band D"],
    "SEO": ["SEO", "a Senior Executive Officer", "band E"],
    "G7": ["G7", "Grade 7", "a Grade 7"],
    "G6": ["G6", "Grade 6", "a Grade 6"],
    "SCS1": ["a deputy director", "SCS1", "DD"],
    "SCS2": ["a director", "SCS2"],
}
JOBS = [
    "team leader",
    "caseworker",
    "analyst",
    "adviser",
    "operations manager",
    "business partner",
    "senior officer",
    "officer",
    "manager",
    "team manager",
    "lead",
    "head of team",
]
OFFER_TEMPLATES = [
    "I can help with {p}.",
    "Happy to share what I know about {p}.",
    "I have spent years on {p} and enjoy helping others get better at it.",
    "Most of my mentees come to me for {p}.",
    "My strongest area is {p}.",
    "I'd be glad to support anyone wanting to get into {p}.",
    "Ask me about {p}!",
    "{P} is what I know best.",
    "I've coached people on {p} before.",
]
SEEK_TEMPLATES = [
    "I want to get better at {p}.",
    "I'm looking for someone who can help me with {p}.",
    "I'd like support with {p}.",
    "My main goal this year is {p}.",
    "I really need to improve my {p}.",
    "Could do with guidance on {p}.",
    "I'm struggling with {p} and would value advice.",
    "Hoping to learn more about {p}.",
    "{P} - that's the big one for me.",
]
SMALL_TALK = [
    "Thanks for reading this!",
    "Outside work I run a lot and have two very loud dogs.",
    "I'm a keen baker and the office gets the results.",
    "Looking forward to hearing from you.",
    "Apologies for the essay.",
    "I love a good spreadsheet, as my colleagues will tell you.",
    "I'm new to this scheme so bear with me.",
    "Coffee is always a good idea.",
    "Happy to chat over Teams or in person.",
    "I volunteer at the local food bank at weekends.",
    "I've got a cat called Biscuit who sometimes joins calls.",
    "Hope this makes sense.",
]


def _grade_word(rng: random.Random, grade: str) -> str:
    return rng.choice(GRADE_WORDS[grade])


def _dept_word(rng: random.Random, dept: str) -> str:
    return rng.choice(DEPARTMENTS[dept])


def _place(rng: random.Random, region: str) -> str:
    return rng.choice(PLACES[region])


def _phrase(rng: random.Random, skill: str) -> str:
    return rng.choice(FORM_SKILLS[GROUP_OF[skill]][skill])


def _fill(template: str, phrase: str) -> str:
    return template.replace("{p}", phrase).replace("{P}", phrase[0].upper() + phrase[1:])


def _history(rng: random.Random, person_dept: str, grade: str) -> list[str]:
    """Career sentences full of departments, grades and places (no skills)."""
    lines = []
    for _ in range(rng.choice([1, 2, 2, 3])):
        dept = rng.choice(list(DEPARTMENTS))
        past_grade = GRADES[max(0, GRADES.index(grade) - rng.randint(1, 3))]
        region = rng.choice(list(PLACES))
        lines.append(
            rng.choice(
                [
                    f"I started out as {_grade_word(rng, past_grade)} in {_dept_word(rng, dept)} in {_place(rng, region)}.",
                    f"Before that I was a {rng.choice(JOBS)} at {_dept_word(rng, dept)} for {rng.randint(2, 9)} years.",
                    f"I moved here from {_dept_word(rng, dept)} in {rng.randint(2009, 2024)}.",
                    f"Spent some time in {_dept_word(rng, dept)}'s {_place(rng, region)} office.",
                    f"I did a loan to {_dept_word(rng, dept)} as {_grade_word(rng, past_grade)}.",
                ]
            )
        )
    lines.append(
        rng.choice(
            [
                f"I've been in {_dept_word(rng, person_dept)} for {rng.randint(1, 15)} years.",
                f"Currently {_grade_word(rng, grade)} {rng.choice(JOBS)} in {_dept_word(rng, person_dept)}.",
                f"Now at {_dept_word(rng, person_dept)}.",
            ]
        )
    )
    return lines


def _intro(rng: random.Random, dept: str, grade: str, region: str) -> str:
    return rng.choice(
        [
            f"Hi, I'm {_grade_word(rng, grade)} in {_dept_word(rng, dept)}, based in {_place(rng, region)}.",
            f"I work at {_dept_word(rng, dept)} as {_grade_word(rng, grade)} {rng.choice(JOBS)}.",
            f"Hello! {_grade_word(rng, grade)} at {_dept_word(rng, dept)}, {_place(rng, region)} office.",
            f"I'm a {rng.choice(JOBS)} in {_dept_word(rng, dept)} ({_place(rng, region)}).",
        ]
    )


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {
    row[i]: row[i + 1] if i + 1 < len(row) else row[i - 1] for row in _ROWS for i in range(len(row))
}


def _typos(rng: random.Random, text: str, rate: float) -> str:
    out = []
    for char in text:
        roll = rng.random()
        if char.isalpha() and roll < rate:
            kind = rng.randrange(3)
            if kind == 0:
                out.append(_NEIGHBOURS.get(char.lower(), char))
            elif kind == 1:
                continue
            else:
                out.append(char + char)
        else:
            out.append(char)
    return "".join(out)


def _roughen(rng: random.Random, sentences: list[str]) -> str:
    style = rng.random()
    if style < 0.2:
        sentences = [s.lower() for s in sentences]
    if rng.random() < 0.3:
        sentences = [s.rstrip(".") for s in sentences]
    text = " ".join(sentences)
    return _typos(rng, text, rng.choice([0.0, 0.0, 0.01, 0.02, 0.04]))


def _preferences(rng: random.Random, filters: dict[str, Any], region: str) -> list[str]:
    lines = []
    if filters.get("exclude_own_department") or rng.random() < 0.25:
        lines.append(
            rng.choice(
                [
                    "Ideally someone outside my department.",
                    "Would prefer a mentor from a different department.",
                    "Not someone from my own department please.",
                ]
            )
        )
    if filters.get("min_grade") or rng.random() < 0.2:
        word = _grade_word(rng, filters.get("min_grade") or "G7")
        lines.append(
            rng.choice(
                [
                    f"{word} or above.",
                    f"Looking for someone at least {word}.",
                    f"Preferably {word} or more senior.",
                ]
            )
        )
    if filters.get("region") or rng.random() < 0.2:
        lines.append(
            rng.choice(
                [
                    f"Someone near {_place(rng, region)} would be great.",
                    f"Happy to meet online, or in person in {_place(rng, region)}.",
                    "Online is fine.",
                ]
            )
        )
    return lines


def make_mentor(rng: random.Random) -> Person:
    """A mentor: skills first, then their form text."""
    dept = rng.choice(list(DEPARTMENTS))
    grade = rng.choice(GRADES[3:])
    region = rng.choice(list(PLACES))
    skills = rng.sample(SKILLS, rng.choice([1, 2, 2, 3, 3, 4]))
    offers = [_fill(rng.choice(OFFER_TEMPLATES), _phrase(rng, s)) for s in skills]
    person = Person(
        profile_id=new_id(rng),
        role="mentor",
        department=dept,
        grade=grade,
        region=region,
        travel_regions=rng.sample(list(PLACES), rng.choice([0, 0, 1])),
        remote_ok=rng.random() < 0.7,
        job_title=f"{rng.choice(JOBS).title()}",
        skills=skills,
    )
    if rng.random() < 0.4:
        person.expertise = [_phrase(rng, s) for s in skills]
    length = rng.random()
    history = _history(rng, dept, grade)
    talk = rng.sample(SMALL_TALK, rng.choice([0, 1, 2]))
    if length < 0.1:  # very short: one line, nothing else
        person.expertise_text = _phrase(rng, skills[0])
        return person
    if length > 0.85:  # very long
        history = history + _history(rng, dept, grade)
        talk = rng.sample(SMALL_TALK, 4)
    offer_part = offers + (talk[:1] if rng.random() < 0.5 else [])
    rng.shuffle(offer_part)
    person.expertise_text = _roughen(rng, offer_part)
    person.experience_text = _roughen(rng, [_intro(rng, dept, grade, region), *history, *talk[1:]])
    return person


def make_request(rng: random.Random) -> Request:
    """A mentee's request: the skills, filters and then the text."""
    dept = rng.choice(list(DEPARTMENTS))
    grade = rng.choice(GRADES[1:6])
    region = rng.choice(list(PLACES))
    primary = rng.choice(SKILLS)
    secondary = rng.choice([s for s in SKILLS if s != primary]) if rng.random() < 0.5 else None
    filters: dict[str, Any] = {}
    if rng.random() < 0.35:
        filters["exclude_own_department"] = True
    if rng.random() < 0.2:
        filters["min_grade"] = rng.choice(["SEO", "G7", "G6"])
    if rng.random() < 0.15:
        filters["region"] = region
        filters["accept_remote"] = rng.random() < 0.5
    person = Person(
        profile_id=new_id(rng), role="mentee", department=dept, grade=grade, region=region
    )
    goal_lines = [_fill(rng.choice(SEEK_TEMPLATES), _phrase(rng, primary))]
    if secondary:
        goal_lines.append(
            _fill(
                rng.choice(
                    [
                        "Also {p}.",
                        "A bit of {p} too.",
                        "Secondly, {p}.",
                        "And maybe {p} if there's time.",
                    ]
                ),
                _phrase(rng, secondary),
            )
        )
    shape = rng.random()
    if shape < 0.1:  # very short
        person.goals_text = _typos(rng, _phrase(rng, primary), 0.02)
        return Request(person, primary, secondary, filters)
    if shape < 0.35:  # goals as a list, the rest as prose
        person.goals = [_phrase(rng, primary)] + ([_phrase(rng, secondary)] if secondary else [])
        goal_lines = []
    intro = [_intro(rng, dept, grade, region)]
    if rng.random() < 0.5:
        intro += _history(rng, dept, grade)[-1:]
    prefs = _preferences(rng, filters, region)
    talk = rng.sample(SMALL_TALK, rng.choice([0, 1, 2, 3] if shape < 0.9 else [4]))
    if shape >= 0.9:  # very long
        intro += _history(rng, dept, grade)
    middle = goal_lines + prefs
    rng.shuffle(middle)
    person.goals_text = _roughen(rng, [*intro, *middle, *talk])
    return Request(person, primary, secondary, filters)


def generate(split: str, mentors: int = 400, requests: int = 80) -> dict[str, Any]:
    """The whole set for one split, reproducible from the split's seed."""
    from eval_common import SPLIT_SEEDS

    seed = BASE_SEED + SPLIT_SEEDS[split]
    rng = random.Random(seed)
    people = [make_mentor(rng) for _ in range(mentors)]
    asks = [make_request(rng) for _ in range(requests)]
    return assemble("form", split, seed, people, asks, GROUP_OF)
