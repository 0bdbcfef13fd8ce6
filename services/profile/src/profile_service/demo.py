"""Synthetic civil servants for demonstrations and local runs (``DEMO_DATA``).

:func:`demo_people` builds a deterministic population from a seed: real departments,
professions, grades and regions from the reference lists, names from diverse British
first and last names, and profile text written from profession-specific phrase banks.
Mentees describe their goals in their own words rather than in the phrases mentors
use, so matching has to work on meaning, not on shared keywords.

:func:`seed_demo_people` stores them once, as verified accounts, with the same events
a person who registered and confirmed their address would have published. Phone
numbers come from Ofcom's ranges reserved for drama (07700 900xxx and similar), so no
real number is ever printed.
"""

from __future__ import annotations

import asyncio
import random
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import structlog

from mentor_shared.events.envelope import new_event
from mentor_shared.events.schemas import AccountRegistered, Roles
from profile_service.domain.allowlist import AllowedDomains
from profile_service.domain.errors import DomainError
from profile_service.domain.model import Account, Contact, Profile, ProfileUpdate
from profile_service.domain.reference import ReferenceData, default_reference_data
from profile_service.service import handlers
from profile_service.service.handlers import ProfileDeps
from profile_service.service.ports import ProfileUnitOfWork

log = structlog.get_logger(__name__)

__all__ = [
    "DEMO_BATCH_SIZE",
    "DEMO_DEPARTMENT_DOMAINS",
    "DemoPerson",
    "DemoSeedResult",
    "demo_people",
    "seed_demo_people",
]

# People written per transaction: large enough that 300 people take a few commits,
# small enough that the single SQLite writer is never held for long.
DEMO_BATCH_SIZE = 50


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """One synthetic person: their sign-in address and their complete profile."""

    email: str
    profile: Profile

    @property
    def account_id(self) -> str:
        """The account id (the same as the profile id)."""
        return self.profile.id


@dataclass(frozen=True, slots=True)
class DemoSeedResult:
    """What :func:`seed_demo_people` found and did.

    Attributes:
        created: Demo people created by this call.
        existing: Demo people already stored before this call.
        refused: Demo addresses the stored allow-list refuses (not created).
    """

    created: int
    existing: int
    refused: int = 0


@dataclass(frozen=True, slots=True)
class _Department:
    domain: str
    weight: float
    professions: Mapping[str, float]  # multipliers on the default profession weights
    regions: Mapping[str, float] | None = None  # replaces the default region weights


# Sign-in domains as each organisation uses them; every one is on the seeded allow-list.
# Weights roughly follow headcount, so the big delivery departments dominate.
_DEPARTMENTS: dict[str, _Department] = {
    "dwp": _Department(
        "dwp.gov.uk",
        14,
        {"operational-delivery": 3, "ddat": 1.5, "counter-fraud": 3},
        {
            "london": 8,
            "north-west": 14,
            "north-east": 12,
            "yorkshire-humber": 12,
            "west-midlands": 8,
            "east-midlands": 6,
            "scotland": 10,
            "wales": 8,
            "south-west": 5,
            "south-east": 5,
            "east": 4,
        },
    ),
    "hmrc": _Department(
        "hmrc.gov.uk",
        12,
        {"tax": 25, "operational-delivery": 2, "counter-fraud": 3, "ddat": 1.5},
        {
            "london": 12,
            "north-east": 12,
            "yorkshire-humber": 10,
            "north-west": 12,
            "west-midlands": 8,
            "scotland": 12,
            "wales": 6,
            "east-midlands": 6,
            "south-east": 6,
            "northern-ireland": 3,
            "east": 4,
        },
    ),
    "moj": _Department("justice.gov.uk", 5, {"policy": 1.5, "legal": 4}),
    "hmpps": _Department("justice.gov.uk", 7, {"operational-delivery": 5, "policy": 0.3}),
    "hmcts": _Department("justice.gov.uk", 4, {"operational-delivery": 4, "ddat": 1.5}),
    "ho": _Department(
        "homeoffice.gov.uk", 7, {"operational-delivery": 2, "security": 3, "policy": 1.3}
    ),
    "hmpo": _Department("hmpo.gov.uk", 1.5, {"operational-delivery": 4}),
    "mod": _Department(
        "mod.gov.uk",
        8,
        {"security": 4, "project-delivery": 2, "commercial": 2, "science-engineering": 2},
        {
            "london": 25,
            "south-west": 25,
            "south-east": 15,
            "west-midlands": 6,
            "scotland": 8,
            "east": 5,
            "north-west": 4,
            "wales": 3,
            "yorkshire-humber": 3,
            "overseas": 2,
        },
    ),
    "des": _Department(
        "mod.gov.uk",
        1.5,
        {"commercial": 5, "project-delivery": 5, "science-engineering": 3},
        {"south-west": 80, "london": 10, "scotland": 5, "south-east": 5},
    ),
    "dstl": _Department(
        "dstl.gov.uk",
        1,
        {"science-engineering": 30, "analysis": 4, "operational-research": 6},
        {"south-east": 60, "south-west": 30, "london": 10},
    ),
    "co": _Department("cabinetoffice.gov.uk", 4, {"policy": 2, "ddat": 2, "hr": 1.5}),
    "hmt": _Department(
        "hmtreasury.gov.uk",
        1.5,
        {"policy": 3, "economics": 8, "finance": 2, "operational-delivery": 0.05},
        {"london": 80, "north-east": 20},
    ),
    "dfe": _Department("education.gov.uk", 3, {"policy": 2, "social-research": 3}),
    "dhsc": _Department("dhsc.gov.uk", 2, {"policy": 2.5, "medical": 8, "analysis": 2}),
    "dbt": _Department("businessandtrade.gov.uk", 2, {"international-trade": 30, "policy": 2}),
    "defra": _Department("defra.gov.uk", 2, {"policy": 2, "science-engineering": 3}),
    "desnz": _Department(
        "energysecurity.gov.uk", 1.5, {"policy": 2.5, "economics": 3, "science-engineering": 2}
    ),
    "dsit": _Department("dsit.gov.uk", 1.5, {"policy": 2, "ddat": 3, "science-engineering": 2}),
    "dft": _Department("dft.gov.uk", 1.5, {"policy": 2, "economics": 3, "project-delivery": 2}),
    "mhclg": _Department("communities.gov.uk", 1.5, {"policy": 2.5, "planning": 10}),
    "fcdo": _Department(
        "fcdo.gov.uk",
        2.5,
        {"policy": 3, "security": 1.5},
        {"london": 55, "overseas": 30, "scotland": 15},
    ),
    "dcms": _Department("dcms.gov.uk", 1, {"policy": 2.5, "communications": 1.5}),
    "ons": _Department(
        "ons.gov.uk",
        2,
        {"statistics": 20, "ddat": 2, "social-research": 3, "geography": 5},
        {"wales": 55, "south-east": 20, "london": 15, "north-east": 10},
    ),
    "gld": _Department("governmentlegal.gov.uk", 1.5, {"legal": 60}),
    "cps": _Department("cps.gov.uk", 1.5, {"legal": 40, "operational-delivery": 1}),
    "dvla": _Department("dvla.gov.uk", 1.5, {"operational-delivery": 3, "ddat": 3}, {"wales": 100}),
    "dvsa": _Department("dvsa.gov.uk", 0.8, {"operational-delivery": 4}),
    "ea": _Department(
        "environment-agency.gov.uk", 2, {"science-engineering": 6, "operational-delivery": 1.5}
    ),
    "ukhsa": _Department(
        "ukhsa.gov.uk", 1.5, {"science-engineering": 6, "medical": 10, "analysis": 2}
    ),
    "mhra": _Department("mhra.gov.uk", 0.6, {"medical": 10, "science-engineering": 6}),
    "ch": _Department(
        "companieshouse.gov.uk",
        0.8,
        {"operational-delivery": 3, "ddat": 3},
        {"wales": 70, "london": 10, "scotland": 10, "northern-ireland": 10},
    ),
    "hmlr": _Department("landregistry.gov.uk", 1, {"operational-delivery": 3, "kim": 4}),
    "met-office": _Department(
        "metoffice.gov.uk", 0.8, {"science-engineering": 30, "ddat": 4}, {"south-west": 100}
    ),
    "ipo": _Department("ipo.gov.uk", 0.6, {"operational-delivery": 2, "legal": 4}, {"wales": 100}),
    "voa": _Department("voa.gov.uk", 1, {"property": 40, "operational-delivery": 2}),
    "insolvency": _Department("insolvency.gov.uk", 0.6, {"operational-delivery": 3}),
    "fsa": _Department("food.gov.uk", 0.6, {"science-engineering": 5, "veterinary": 10}),
    "ofsted": _Department("ofsted.gov.uk", 0.8, {"inspector-education": 40}),
    "ccs": _Department("crowncommercial.gov.uk", 0.6, {"commercial": 30}),
    "nca": _Department(
        "nca.gov.uk", 1, {"intelligence-analysis": 20, "security": 4, "counter-fraud": 3}
    ),
    "rpa": _Department("rpa.gov.uk", 0.6, {"operational-delivery": 3, "finance": 2}),
    "gad": _Department("gad.gov.uk", 0.3, {"actuarial": 100}),
    "natural-england": _Department(
        "naturalengland.org.uk", 0.6, {"science-engineering": 8, "geography": 5}
    ),
    "ukri": _Department("ukri.org", 0.8, {"science-engineering": 5, "policy": 2}),
    "scottish-government": _Department("gov.scot", 2, {"policy": 2}, {"scotland": 100}),
    "welsh-government": _Department("gov.wales", 1.2, {"policy": 2}, {"wales": 100}),
    "nics": _Department(
        "finance-ni.gov.uk", 1.2, {"operational-delivery": 1.5}, {"northern-ireland": 100}
    ),
}

DEMO_DEPARTMENT_DOMAINS: dict[str, str] = {code: d.domain for code, d in _DEPARTMENTS.items()}
"""Sign-in domain of each department demo people work in (department code -> domain)."""

_PROFESSION_WEIGHTS: dict[str, float] = {
    "operational-delivery": 20,
    "policy": 14,
    "ddat": 9,
    "project-delivery": 7,
    "finance": 6,
    "hr": 5,
    "commercial": 4,
    "communications": 4,
    "analysis": 2,
    "statistics": 2,
    "economics": 2,
    "social-research": 1.5,
    "operational-research": 1,
    "legal": 1.5,
    "security": 1.5,
    "science-engineering": 2,
    "counter-fraud": 1.5,
    "tax": 1,
    "internal-audit": 0.8,
    "kim": 1,
    "property": 0.8,
    "intelligence-analysis": 0.8,
    "international-trade": 0.5,
    "corporate-finance": 0.4,
    "occupational-psychology": 0.3,
    "actuarial": 0.2,
    "medical": 0.2,
    "veterinary": 0.2,
    "geography": 0.3,
    "planning": 0.3,
    "inspector-education": 0.2,
    "planning-inspectors": 0.2,
}

_REGION_WEIGHTS: dict[str, float] = {
    "london": 30,
    "north-west": 9,
    "yorkshire-humber": 8,
    "north-east": 6,
    "west-midlands": 7,
    "east-midlands": 5,
    "east": 5,
    "south-east": 8,
    "south-west": 6,
    "wales": 5,
    "scotland": 6,
    "northern-ireland": 2,
}

# Regions within easy reach of each other, for travel_regions.
_NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "london": ("south-east", "east"),
    "south-east": ("london", "south-west", "east"),
    "east": ("london", "east-midlands", "south-east"),
    "south-west": ("wales", "south-east", "west-midlands"),
    "west-midlands": ("east-midlands", "north-west", "wales"),
    "east-midlands": ("west-midlands", "yorkshire-humber", "east"),
    "yorkshire-humber": ("north-east", "north-west", "east-midlands"),
    "north-east": ("yorkshire-humber", "scotland"),
    "north-west": ("yorkshire-humber", "west-midlands", "wales"),
    "wales": ("south-west", "west-midlands", "north-west"),
    "scotland": ("north-east", "northern-ireland"),
    "northern-ireland": ("scotland",),
    "overseas": ("london",),
}

# Grades as the civil service is shaped: many more EO to G7 than senior civil servants.
_GRADE_WEIGHTS: dict[str, float] = {
    "AA": 2,
    "AO": 10,
    "EO": 18,
    "HEO": 20,
    "SEO": 17,
    "G7": 17,
    "G6": 9,
    "SCS1": 4.5,
    "SCS2": 1.5,
    "SCS3": 0.5,
    "SCS4": 0.15,
}
# Chance of each role by grade: seniority makes mentoring and coaching likelier, and
# seeking a mentor less so (overall about 35% mentors, 10% coaches, 60% mentees).
_MENTOR_CHANCE = {
    "AA": 0.1,
    "AO": 0.12,
    "EO": 0.22,
    "HEO": 0.33,
    "SEO": 0.45,
    "G7": 0.55,
    "G6": 0.65,
    "SCS1": 0.72,
    "SCS2": 0.72,
    "SCS3": 0.72,
    "SCS4": 0.72,
}
_COACH_CHANCE = {
    "AA": 0.03,
    "AO": 0.04,
    "EO": 0.05,
    "HEO": 0.07,
    "SEO": 0.13,
    "G7": 0.2,
    "G6": 0.25,
    "SCS1": 0.25,
    "SCS2": 0.25,
    "SCS3": 0.2,
    "SCS4": 0.1,
}
# Everyone who neither mentors nor coaches is a mentee; of those who do, a few also
# want a mentor themselves.
_MENTOR_ALSO_MENTEE_CHANCE = 0.12
_YEARS_BY_GRADE = {
    "AA": (0, 3),
    "AO": (1, 6),
    "EO": (1, 10),
    "HEO": (3, 14),
    "SEO": (5, 18),
    "G7": (7, 22),
    "G6": (10, 25),
    "SCS1": (12, 28),
    "SCS2": (15, 30),
    "SCS3": (18, 32),
    "SCS4": (20, 35),
}

_FIRST_NAMES = (
    "Aisha",
    "Amara",
    "Amelia",
    "Anjali",
    "Aoife",
    "Ayesha",
    "Bethan",
    "Callum",
    "Catriona",
    "Chidi",
    "Chloe",
    "Ciaran",
    "Daniel",
    "Deepa",
    "Dylan",
    "Efua",
    "Eilidh",
    "Eleanor",
    "Emeka",
    "Emily",
    "Fatima",
    "Fiona",
    "Gareth",
    "Grace",
    "Gurpreet",
    "Hamza",
    "Hannah",
    "Harjit",
    "Harriet",
    "Ibrahim",
    "Imran",
    "Isla",
    "Jack",
    "Jamal",
    "James",
    "Jasmine",
    "Jiayi",
    "Joanna",
    "Kwame",
    "Laura",
    "Leah",
    "Lewis",
    "Lucy",
    "Mairead",
    "Marcus",
    "Maryam",
    "Mei",
    "Mohammed",
    "Nadia",
    "Naomi",
    "Niamh",
    "Nikhil",
    "Oliver",
    "Olu",
    "Omar",
    "Owain",
    "Priya",
    "Rachel",
    "Rhys",
    "Rohan",
    "Ruth",
    "Sadia",
    "Samuel",
    "Sean",
    "Siobhan",
    "Sophie",
    "Sunita",
    "Tariq",
    "Thomas",
    "Tomasz",
    "Wei",
    "Yusuf",
    "Zainab",
    "Zofia",
    "Andrew",
    "Catherine",
    "David",
    "Helen",
    "Michael",
    "Sarah",
)
_LAST_NAMES = (
    "Adeyemi",
    "Ahmed",
    "Ali",
    "Anderson",
    "Armstrong",
    "Bailey",
    "Begum",
    "Bennett",
    "Bhatt",
    "Boateng",
    "Brown",
    "Campbell",
    "Chan",
    "Chowdhury",
    "Clarke",
    "Davies",
    "Dhillon",
    "Doherty",
    "Edwards",
    "Evans",
    "Fraser",
    "Gallagher",
    "Ghosh",
    "Gill",
    "Green",
    "Griffiths",
    "Hall",
    "Hughes",
    "Hussain",
    "Iqbal",
    "Jackson",
    "Jones",
    "Kaur",
    "Kelly",
    "Khan",
    "Kowalski",
    "Lewis",
    "Li",
    "MacDonald",
    "McLaughlin",
    "Mensah",
    "Mistry",
    "Morgan",
    "Murphy",
    "Nguyen",
    "Nowak",
    "Obi",
    "O'Brien",
    "O'Neill",
    "Okafor",
    "Owusu",
    "Patel",
    "Phillips",
    "Price",
    "Quinn",
    "Rahman",
    "Reid",
    "Roberts",
    "Robertson",
    "Scott",
    "Shah",
    "Sharma",
    "Singh",
    "Smith",
    "Stewart",
    "Taylor",
    "Thomas",
    "Thompson",
    "Walker",
    "Wang",
    "Watson",
    "White",
    "Williams",
    "Wilson",
    "Wright",
    "Yusuf",
    "Zhang",
    "Hennessy",
    "Llewellyn",
    "Mwangi",
)


@dataclass(frozen=True, slots=True)
class _Family:
    """Phrase banks and job titles for a group of related professions."""

    expertise: tuple[str, ...]
    goals: tuple[str, ...]  # in a mentee's own words, unlike the expertise phrases
    goal_sentences: tuple[str, ...]
    experience: tuple[str, ...]
    titles: Mapping[str, tuple[str, ...]]  # junior / eo_heo / seo_g7 / g6
    areas: tuple[str, ...]  # what a senior civil servant of the family leads


_FAMILIES: dict[str, _Family] = {
    "policy": _Family(
        expertise=(
            "ministerial submissions",
            "working with special advisers",
            "Spending Review bids",
            "primary legislation and bill teams",
            "policy design",
            "cross-government policy",
            "public consultations",
            "parliamentary questions and select committees",
            "Cabinet write-rounds",
            "briefing ministers",
            "policy evaluation",
            "regulatory impact assessments",
        ),
        goals=(
            "writing for ministers",
            "getting senior people on side",
            "understanding how Parliament works",
            "making the case for funding",
            "moving into a policy role",
            "handling a bill for the first time",
            "working across departments",
        ),
        goal_sentences=(
            "I want to get better at writing for ministers.",
            "My drafts keep coming back from the private office and I'd like to know why.",
            "I've been asked to help with a bill and have never done one before.",
            "I'd like to understand how the Treasury decides what to fund.",
            "I find it hard to get a decision out of other departments.",
        ),
        experience=(
            "I've run two bill teams and supported ministers through Commons stages.",
            "I spent three years in a private office, which taught me what ministers need on one page.",
            "I've led policy through a Spending Review and a change of government.",
            "Most of my career has been in policy roles close to ministers.",
        ),
        titles={
            "junior": ("Policy Support Officer", "Correspondence Officer"),
            "eo_heo": ("Policy Officer", "Policy Adviser", "Parliamentary Clerk"),
            "seo_g7": ("Senior Policy Adviser", "Policy Lead", "Private Secretary"),
            "g6": ("Head of Policy", "Head of Strategy", "Principal Private Secretary"),
        },
        areas=("Strategy", "Policy", "Local Growth", "Families", "Net Zero", "Skills"),
    ),
    "digital": _Family(
        expertise=(
            "agile delivery",
            "service assessments",
            "user research",
            "product management",
            "cloud migration",
            "legacy technology replacement",
            "data engineering",
            "the GOV.UK Service Standard",
            "accessibility",
            "technical architecture",
            "DevOps and continuous delivery",
            "content design",
        ),
        goals=(
            "passing a service assessment",
            "moving from developer to tech lead",
            "talking to non-technical leaders",
            "getting into product management",
            "learning about user-centred design",
            "breaking into a data career",
        ),
        goal_sentences=(
            "I want to stop being the only person who understands our old systems.",
            "I'd like to learn how to explain technical risk to people who aren't technical.",
            "Our service has an alpha assessment coming up and I'm nervous about it.",
            "I'm a developer and want to know what a technical lead actually does day to day.",
            "I'd like to move into data work but don't know where to start.",
        ),
        experience=(
            "I've taken three services through GDS assessments, from discovery to live.",
            "I led the move of a large case-working system off a mainframe.",
            "I've built and run multidisciplinary teams of twenty.",
            "I started as a developer and moved into delivery management.",
        ),
        titles={
            "junior": ("IT Support Analyst", "Service Desk Officer"),
            "eo_heo": (
                "Software Developer",
                "Delivery Manager",
                "User Researcher",
                "Data Engineer",
                "Content Designer",
            ),
            "seo_g7": (
                "Senior Developer",
                "Product Manager",
                "Technical Architect",
                "Lead User Researcher",
                "Senior Delivery Manager",
            ),
            "g6": ("Head of Product", "Head of Engineering", "Head of Data"),
        },
        areas=("Digital", "Data and Technology", "Digital Services", "Technology"),
    ),
    "finance": _Family(
        expertise=(
            "budget management",
            "business cases and the Green Book",
            "financial reporting",
            "Managing Public Money",
            "forecasting",
            "Estimates and Supply",
            "internal controls",
            "CIPFA and CIMA qualifications",
            "annual report and accounts",
            "capital investment appraisal",
            "risk-based audit",
        ),
        goals=(
            "becoming a business partner",
            "finishing my accountancy exams",
            "explaining numbers to directors",
            "managing a bigger budget",
            "getting to grips with the accounts cycle",
        ),
        goal_sentences=(
            "I'd like to be treated as a business partner rather than a number cruncher.",
            "I'm halfway through my CIMA exams and struggling to balance study and work.",
            "Senior people glaze over when I present figures and I want that to change.",
            "I want to understand how my team's numbers end up in the department's accounts.",
        ),
        experience=(
            "I've produced the department's annual accounts and been through a NAO audit.",
            "I led the budget round for a directorate of a thousand people.",
            "I've written business cases for projects worth hundreds of millions.",
            "I qualified as an accountant in the private sector before joining.",
        ),
        titles={
            "junior": ("Finance Assistant", "Accounts Payable Officer"),
            "eo_heo": ("Finance Officer", "Management Accountant", "Auditor"),
            "seo_g7": ("Senior Finance Business Partner", "Financial Controller", "Audit Manager"),
            "g6": ("Head of Financial Planning", "Head of Internal Audit"),
        },
        areas=("Finance", "Financial Planning", "Audit and Risk"),
    ),
    "hr": _Family(
        expertise=(
            "employee relations",
            "workforce planning",
            "recruitment and success profiles",
            "organisational design",
            "learning and development",
            "pay and reward",
            "diversity and inclusion",
            "talent management",
            "occupational psychology",
            "case management and grievances",
        ),
        goals=(
            "handling difficult conversations",
            "moving into organisational design",
            "getting my CIPD qualification",
            "being taken seriously by line managers",
        ),
        goal_sentences=(
            "I want to feel more confident when a casework conversation gets heated.",
            "I'd like to move from transactional HR into strategic work.",
            "I'm studying for CIPD Level 5 and would value someone to talk it through with.",
        ),
        experience=(
            "I've redesigned a directorate of 600 people and run the consultation.",
            "I've led recruitment campaigns for the Fast Stream and senior roles.",
            "I've handled complex employee relations cases for ten years.",
        ),
        titles={
            "junior": ("HR Assistant", "Recruitment Administrator"),
            "eo_heo": ("HR Adviser", "Recruitment Officer", "L&D Officer"),
            "seo_g7": (
                "HR Business Partner",
                "Senior Talent Manager",
                "Organisational Design Lead",
            ),
            "g6": ("Head of People", "Head of Talent"),
        },
        areas=("People", "HR", "Workforce and Talent"),
    ),
    "project": _Family(
        expertise=(
            "project delivery",
            "programme management",
            "benefits realisation",
            "Government Major Projects Portfolio reviews",
            "risk and issue management",
            "PRINCE2 and MSP",
            "portfolio management",
            "estates and property projects",
            "Infrastructure and Projects Authority assurance",
            "planning and scheduling",
        ),
        goals=(
            "running my first programme",
            "getting a project back on track",
            "passing my APM qualification",
            "keeping sponsors engaged",
        ),
        goal_sentences=(
            "I've just been given a project that is already late and I need help.",
            "I'd like to move from project support into managing projects myself.",
            "I'm preparing for the Project Delivery Capability Framework assessment.",
        ),
        experience=(
            "I've been senior responsible owner for a programme on the major projects list.",
            "I've led projects from business case to closure across three departments.",
            "I was part of the Project Leadership Programme.",
        ),
        titles={
            "junior": ("Project Support Officer", "PMO Administrator"),
            "eo_heo": ("Project Officer", "Project Manager", "PMO Analyst"),
            "seo_g7": ("Senior Project Manager", "Programme Manager", "Portfolio Lead"),
            "g6": ("Programme Director", "Head of Portfolio Office"),
        },
        areas=("Major Programmes", "Portfolio and Delivery", "Estates"),
    ),
    "commercial": _Family(
        expertise=(
            "procurement strategy",
            "contract management",
            "supplier negotiation",
            "the Procurement Act",
            "category management",
            "outsourcing and insourcing",
            "commercial assurance",
            "market engagement",
        ),
        goals=(
            "negotiating with big suppliers",
            "getting accredited as a commercial practitioner",
            "understanding the new procurement rules",
            "managing a failing contract",
        ),
        goal_sentences=(
            "Suppliers' lawyers run rings round me and I'd like to hold my own.",
            "I'm preparing for my commercial assessment and centre.",
            "I want to know how to exit a contract that isn't working.",
        ),
        experience=(
            "I've run procurements worth over a billion pounds.",
            "I've managed strategic suppliers through contract failure and recovery.",
            "I came from a commercial role in industry.",
        ),
        titles={
            "junior": ("Procurement Assistant", "Contracts Administrator"),
            "eo_heo": ("Procurement Officer", "Contract Manager", "Category Buyer"),
            "seo_g7": ("Senior Commercial Manager", "Category Lead", "Commercial Lead"),
            "g6": ("Head of Commercial", "Head of Procurement"),
        },
        areas=("Commercial", "Procurement"),
    ),
    "analysis": _Family(
        expertise=(
            "statistical modelling",
            "economic appraisal",
            "survey design",
            "data visualisation",
            "R and Python for analysis",
            "official statistics",
            "evaluation design",
            "cost-benefit analysis",
            "forecasting models",
            "quality assurance of models",
            "presenting analysis to ministers",
            "reproducible analytical pipelines",
        ),
        goals=(
            "explaining analysis to people who aren't analysts",
            "learning to code in R",
            "moving from analysis into leadership",
            "having more influence on decisions",
        ),
        goal_sentences=(
            "My analysis often gets ignored and I want to know how to make it land.",
            "I'd like to learn R properly instead of living in spreadsheets.",
            "I'm an analyst thinking about moving into a policy or management role.",
        ),
        experience=(
            "I've built models used in Budget forecasts and published official statistics.",
            "I've led evaluation of programmes worth billions.",
            "I've managed a team of statisticians and economists.",
            "I did a PhD before joining the Government Economic Service.",
        ),
        titles={
            "junior": ("Research Assistant", "Data Assistant"),
            "eo_heo": (
                "Assistant Statistician",
                "Assistant Economist",
                "Research Officer",
                "Data Analyst",
            ),
            "seo_g7": (
                "Senior Statistician",
                "Economic Adviser",
                "Senior Research Officer",
                "Principal Analyst",
            ),
            "g6": ("Head of Analysis", "Deputy Chief Economist", "Head of Statistics"),
        },
        areas=("Analysis", "Economics", "Data and Analysis"),
    ),
    "operations": _Family(
        expertise=(
            "leading large frontline teams",
            "contact centre management",
            "case working",
            "performance management",
            "continuous improvement and Lean",
            "managing attendance and wellbeing",
            "service transformation",
            "customer experience",
            "compliance and enforcement",
            "workforce scheduling",
        ),
        goals=(
            "stepping up to manage managers",
            "moving from operations into headquarters",
            "dealing with poor performance",
            "getting my team through a big change",
        ),
        goal_sentences=(
            "I've just become a manager of managers and it feels very different.",
            "I'd like to get experience in head office without losing touch with the frontline.",
            "I want to handle a poor performance case fairly and confidently.",
            "My team has had three reorganisations in two years and morale is low.",
        ),
        experience=(
            "I've managed a contact centre of 300 people through peak demand.",
            "I've run jobcentres and benefit processing sites across a region.",
            "I led the roll-out of a new case-working system to thousands of staff.",
            "I started on the frontline and have managed at every level since.",
        ),
        titles={
            "junior": ("Administrative Officer", "Customer Service Adviser", "Caseworker"),
            "eo_heo": (
                "Team Leader",
                "Work Coach Team Leader",
                "Senior Caseworker",
                "Compliance Officer",
            ),
            "seo_g7": (
                "Operations Manager",
                "Site Leader",
                "Area Manager",
                "Senior Operational Lead",
            ),
            "g6": ("Head of Operations", "Regional Operations Director"),
        },
        areas=("Operations", "Customer Services", "Operational Delivery"),
    ),
    "legal": _Family(
        expertise=(
            "litigation",
            "judicial review",
            "drafting legislation",
            "public law",
            "employment law",
            "commercial law",
            "advising ministers on legal risk",
            "prosecution casework",
            "retained EU law",
        ),
        goals=(
            "moving from litigation to advisory work",
            "becoming a team leader as a lawyer",
            "balancing a heavy caseload",
        ),
        goal_sentences=(
            "I'd like to move from litigation into advising a policy team.",
            "I've never managed other lawyers and I've just been asked to.",
        ),
        experience=(
            "I've defended judicial reviews up to the Supreme Court.",
            "I've drafted statutory instruments and instructed Parliamentary Counsel.",
            "I trained at a City firm before joining the Government Legal Profession.",
        ),
        titles={
            "junior": ("Legal Support Officer", "Paralegal"),
            "eo_heo": ("Paralegal Officer", "Trainee Solicitor", "Legal Officer"),
            "seo_g7": ("Lawyer", "Senior Lawyer", "Crown Prosecutor"),
            "g6": ("Senior Legal Adviser", "Head of Litigation"),
        },
        areas=("Legal", "Litigation", "Legal Advice"),
    ),
    "comms": _Family(
        expertise=(
            "press office",
            "campaigns",
            "internal communications",
            "crisis communications",
            "social media",
            "strategic communications",
            "speech writing",
            "behavioural insight",
        ),
        goals=(
            "handling the press in a crisis",
            "moving from internal to external comms",
            "writing speeches",
            "measuring whether campaigns work",
        ),
        goal_sentences=(
            "I'd like to work in a press office and don't know how to make the jump.",
            "I want to show leaders that our campaigns actually change behaviour.",
        ),
        experience=(
            "I've run national campaigns from brief to evaluation.",
            "I worked in a press office during two general elections.",
            "I started as a journalist before joining the Government Communication Service.",
        ),
        titles={
            "junior": ("Communications Assistant",),
            "eo_heo": ("Communications Officer", "Press Officer", "Digital Content Officer"),
            "seo_g7": ("Senior Communications Manager", "Senior Press Officer", "Campaigns Lead"),
            "g6": ("Head of Communications", "Head of News"),
        },
        areas=("Communications", "Strategic Communications"),
    ),
    "security": _Family(
        expertise=(
            "protective security",
            "cyber security",
            "counter-fraud investigation",
            "intelligence assessment",
            "risk assessment",
            "national security policy",
            "vetting",
            "threat analysis",
            "insider risk",
        ),
        goals=(
            "building a career in cyber",
            "moving into intelligence work",
            "briefing senior leaders on risk",
        ),
        goal_sentences=(
            "I'd like to move into cyber security from a general IT role.",
            "I want to be more confident explaining threats without scaring people.",
        ),
        experience=(
            "I've led fraud investigations that went to prosecution.",
            "I've run a departmental security team and its incident response.",
            "I've written assessments read at the most senior levels.",
        ),
        titles={
            "junior": ("Security Officer", "Vetting Officer"),
            "eo_heo": ("Investigator", "Intelligence Analyst", "Cyber Security Analyst"),
            "seo_g7": ("Senior Investigator", "Senior Intelligence Analyst", "Cyber Security Lead"),
            "g6": ("Head of Security", "Head of Counter Fraud"),
        },
        areas=("Security", "Counter Fraud", "National Security"),
    ),
    "science": _Family(
        expertise=(
            "scientific advice to government",
            "research programme management",
            "laboratory management",
            "engineering assurance",
            "environmental science",
            "public health",
            "clinical advice",
            "animal health",
            "climate modelling",
            "translating research into policy",
        ),
        goals=(
            "getting science heard in policy",
            "moving from research into management",
            "becoming chartered",
        ),
        goal_sentences=(
            "I'm a scientist and want my evidence to make a difference to decisions.",
            "I'd like to work towards chartership and need someone to guide me.",
            "I'm thinking about whether to stay technical or go into management.",
        ),
        experience=(
            "I've provided scientific advice during two national emergencies.",
            "I've managed a research programme across universities and industry.",
            "I worked in academia before joining government science.",
        ),
        titles={
            "junior": ("Laboratory Assistant", "Science Support Officer"),
            "eo_heo": ("Scientist", "Research Scientist", "Engineer"),
            "seo_g7": ("Senior Scientist", "Principal Engineer", "Senior Scientific Adviser"),
            "g6": ("Head of Science", "Chief Engineer"),
        },
        areas=("Science", "Science and Engineering", "Research"),
    ),
}

_PROFESSION_FAMILY: dict[str, str] = {
    "policy": "policy",
    "international-trade": "policy",
    "planning": "policy",
    "ddat": "digital",
    "kim": "digital",
    "finance": "finance",
    "corporate-finance": "finance",
    "internal-audit": "finance",
    "hr": "hr",
    "occupational-psychology": "hr",
    "project-delivery": "project",
    "property": "project",
    "commercial": "commercial",
    "analysis": "analysis",
    "statistics": "analysis",
    "economics": "analysis",
    "social-research": "analysis",
    "operational-research": "analysis",
    "geography": "analysis",
    "actuarial": "analysis",
    "operational-delivery": "operations",
    "tax": "operations",
    "inspector-education": "operations",
    "planning-inspectors": "operations",
    "legal": "legal",
    "communications": "comms",
    "security": "security",
    "intelligence-analysis": "security",
    "counter-fraud": "security",
    "science-engineering": "science",
    "medical": "science",
    "veterinary": "science",
}

# Phrases only some professions of a family have; one of them always comes first.
_PROFESSION_EXPERTISE: dict[str, tuple[str, ...]] = {
    "tax": ("tax compliance", "tax policy implementation", "HMRC debt management"),
    "inspector-education": ("school and college inspection", "inspection frameworks"),
    "planning-inspectors": ("planning appeals", "running public inquiries"),
    "counter-fraud": ("counter-fraud investigation", "fraud risk assessment"),
    "intelligence-analysis": ("intelligence assessment", "open-source intelligence"),
    "statistics": ("official statistics", "survey design"),
    "economics": ("economic appraisal", "cost-benefit analysis"),
    "social-research": ("qualitative research", "evaluation design"),
    "operational-research": ("operational research modelling", "simulation"),
    "actuarial": ("pension scheme valuations", "actuarial modelling"),
    "geography": ("geospatial analysis", "GIS mapping"),
    "international-trade": ("trade negotiations", "export promotion"),
    "planning": ("the planning system", "local plans"),
    "kim": ("records management", "freedom of information requests"),
    "property": ("estates strategy", "property valuation"),
    "internal-audit": ("risk-based audit", "audit committees"),
    "corporate-finance": ("corporate finance transactions", "government shareholdings"),
    "occupational-psychology": ("assessment design", "occupational psychology"),
    "medical": ("clinical advice", "public health"),
    "veterinary": ("animal health", "veterinary medicines"),
}

_LEADERSHIP_EXPERTISE = (
    "leading through change",
    "stakeholder management at board level",
    "building inclusive teams",
    "moving from G7 to G6",
    "managing upwards",
    "resilience and wellbeing",
    "returning from parental leave",
    "neurodiversity at work",
    "promotion boards and success profile interviews",
    "line management",
    "flexible and part-time working",
    "leading remote and hybrid teams",
)
_COACHING_EXPERTISE = (
    "career coaching",
    "coaching through transitions",
    "confidence and impostor feelings",
    "coaching for new leaders",
    "solution-focused coaching",
)
_CAREER_GOALS = (
    "preparing for a G6 interview",
    "getting promoted to SEO",
    "finding my first management role",
    "feeling less of an impostor",
    "coming back to work after a long break",
    "working part time without stalling my career",
    "being myself at work as a neurodivergent person",
    "managing my workload and energy",
    "getting a temporary promotion made permanent",
    "planning my next career move",
    "speaking up in senior meetings",
)
_CAREER_GOAL_SENTENCES = (
    "I have a promotion interview coming up and I freeze when I have to talk about myself.",
    "I've been back from maternity leave for six months and want to get my confidence back.",
    "I'm autistic and I'd like to talk to someone about what works for them at work.",
    "I want to understand what senior leaders look for in a G6.",
    "I keep saying yes to everything and I'm exhausted.",
    "I work part time and worry that it holds me back.",
    "I'd like to speak up more in meetings where I'm the most junior person.",
)
_COACH_APPROACH = (
    "As a coach I listen more than I advise and help people find their own answers.",
    "I'm an accredited coach (ILM Level 7) and work in six one-hour sessions.",
    "My coaching is practical: we agree what you want to change and check progress each time.",
)
_ROUTES_IN = (
    "I joined through the Fast Stream.",
    "I joined as an apprentice.",
    "I joined from the private sector.",
    "I joined from local government.",
    "I joined from the NHS.",
    "I joined straight from university.",
    "I joined after a career in the armed forces.",
    "I joined from a charity.",
)
# Towns' dialling codes for fictional landlines (Ofcom's drama range xxx 496 0xxx).
_LANDLINE_PREFIX: dict[str, str] = {
    "london": "020 7946 0",
    "north-west": "0161 496 0",
    "yorkshire-humber": "0113 496 0",
    "north-east": "0191 498 0",
    "west-midlands": "0121 496 0",
    "south-west": "0117 496 0",
    "wales": "029 2018 0",
    "scotland": "0131 496 0",
    "northern-ireland": "028 9018 0",
    "east-midlands": "0115 496 0",
    "east": "01632 960",
    "south-east": "01632 960",
}


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys], k=1)[0]


def _ascii_slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(char for char in text.lower() if char.isalnum() or char == "-")


def _join(phrases: Sequence[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _job_title(rng: random.Random, family: _Family, grade: str) -> str:
    if grade.startswith("SCS"):
        area = rng.choice(family.areas)
        return {
            "SCS1": f"Deputy Director, {area}",
            "SCS2": f"Director, {area}",
            "SCS3": f"Director General, {area}",
        }.get(grade, "Permanent Secretary")
    group = {
        "AA": "junior",
        "AO": "junior",
        "EO": "eo_heo",
        "HEO": "eo_heo",
        "SEO": "seo_g7",
        "G7": "seo_g7",
    }.get(grade, "g6")
    return rng.choice(family.titles[group])


def _phone(rng: random.Random, region: str) -> str:
    if rng.random() < 0.6 or region not in _LANDLINE_PREFIX:
        return f"07700 900{rng.randrange(1000):03d}"
    return f"{_LANDLINE_PREFIX[region]}{rng.randrange(1000):03d}"


def _person(index: int, rng: random.Random, reference: ReferenceData) -> DemoPerson:
    """Person number ``index`` (0-based); consumes ``rng`` the same way whatever the count."""
    account_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    department_code = _weighted(rng, {code: d.weight for code, d in _DEPARTMENTS.items()})
    department = _DEPARTMENTS[department_code]
    profession = _weighted(
        rng,
        {
            code: w * department.professions.get(code, 1.0)
            for code, w in _PROFESSION_WEIGHTS.items()
        },
    )
    family = _FAMILIES[_PROFESSION_FAMILY[profession]]
    grade = _weighted(rng, _GRADE_WEIGHTS)
    region = _weighted(rng, department.regions or _REGION_WEIGHTS)
    neighbours = _NEIGHBOURS[region]
    travel = [region, *rng.sample(neighbours, k=rng.randint(0, min(2, len(neighbours))))]
    remote_ok = rng.random() < 0.75

    mentor = rng.random() < _MENTOR_CHANCE[grade]
    coach = rng.random() < _COACH_CHANCE[grade]
    mentee = not (mentor or coach) or rng.random() < _MENTOR_ALSO_MENTEE_CHANCE
    capacity = max(rng.randint(1, 4) if mentor else 0, rng.randint(2, 6) if coach else 0)
    accepting = rng.random() < 0.9 if (mentor or coach) else True
    anonymous = mentee and not (mentor or coach) and rng.random() < 0.12

    job_title = _job_title(rng, family, grade)
    low, high = _YEARS_BY_GRADE[grade]
    years = rng.randint(max(low, 2), high)
    senior = grade in {"SEO", "G7", "G6"} or grade.startswith("SCS")
    specific = _PROFESSION_EXPERTISE.get(profession, ())
    own = rng.sample(family.expertise, k=rng.randint(2, 4))
    if specific:
        own = [rng.choice(specific), *(phrase for phrase in own if phrase not in specific)]
    cross = rng.sample(_LEADERSHIP_EXPERTISE, k=rng.randint(1, 2) if senior else rng.randint(0, 1))
    coaching = rng.sample(_COACHING_EXPERTISE, k=1) if coach else []
    expertise = [*own, *cross, *coaching][:6]
    if len(expertise) < 3:
        extra = [p for p in family.expertise if p not in expertise]
        expertise += rng.sample(extra, k=3 - len(expertise))

    profession_name = reference.name("professions", profession)
    department_name = reference.name("departments", department_code)
    openers = (
        f"I've worked in {profession_name.lower()} for {years} years and I'm currently "
        f"{job_title} at {department_name}.",
        f"{job_title} at {department_name}, with {years} years in {profession_name.lower()}.",
        f"I'm in the {profession_name} profession at {grade}, working for {department_name}.",
    )
    offers = (
        f"I can help with {_join(expertise[:2])}.",
        f"Happy to talk through {expertise[0]}, especially if it's new to you.",
        f"Most of my recent work has involved {_join(expertise[:2])}.",
        f"People usually come to me about {expertise[-1]}.",
    )
    sentences = [rng.choice(openers), *rng.sample(offers, k=rng.randint(1, 2))]
    if coach:
        sentences.append(rng.choice(_COACH_APPROACH))
    expertise_text = " ".join(sentences[:4])
    experience = rng.sample(family.experience, k=min(len(family.experience), rng.randint(1, 2)))
    experience_text = " ".join([rng.choice(_ROUTES_IN), *experience])

    goals: list[str] = []
    goals_text = ""
    if mentee:
        goals = [
            *rng.sample(family.goals, k=rng.randint(1, 2)),
            *rng.sample(_CAREER_GOALS, k=rng.randint(1, 2)),
        ]
        said = [
            rng.choice(family.goal_sentences),
            *rng.sample(_CAREER_GOAL_SENTENCES, k=rng.randint(0, 1)),
        ]
        intro = rng.choice(
            (
                f"I'm at {grade} in {department_name} and would like some help with {goals[0]}.",
                f"I'm looking for a mentor for {goals[0]} and {goals[-1]}.",
                f"Two things I'm working on: {goals[0]} and {goals[-1]}.",
            )
        )
        goals_text = " ".join([intro, *said])

    email = f"{_ascii_slug(first)}.{_ascii_slug(last)}{index + 1}@{department.domain}"
    phone = _phone(rng, region) if rng.random() < 0.45 else None
    update = ProfileUpdate(
        department=department_code,
        profession=profession,
        grade=grade,
        region=region,
        travel_regions=travel,
        remote_ok=remote_ok,
        job_title=job_title,
        roles=Roles(mentor=mentor, mentee=mentee, coach=coach),
        capacity=capacity,
        accepting_requests=accepting,
        expertise=expertise,
        expertise_text=expertise_text,
        goals=goals,
        goals_text=goals_text,
        experience_text=experience_text,
        anonymous=anonymous,
        contact=Contact(email=email, phone=phone),
    )
    blank = Profile.new(account_id, f"{first} {last}", contact_email=email)
    # Stored as the first version, like an imported profile: nobody saw an earlier one.
    profile = blank.apply_update(update, reference).model_copy(update={"version": 1})
    return DemoPerson(email=email, profile=profile)


def demo_people(
    count: int, *, seed: int = 7, reference: ReferenceData | None = None
) -> list[DemoPerson]:
    """Build ``count`` synthetic civil servants, the same ones for the same seed.

    The first ``n`` people are the same whatever ``count`` is, so raising the count
    later only adds people.

    Raises:
        ValueError: ``count`` is negative.
        InvalidProfile, InvalidReference: A phrase bank breaks a profile rule (a defect).
    """
    if count < 0:
        raise ValueError("count must not be negative")
    reference = reference or default_reference_data()
    rng = random.Random(seed)
    return [_person(index, rng, reference) for index in range(count)]


async def _stored_addresses(uow: ProfileUnitOfWork, people: Sequence[DemoPerson]) -> set[str]:
    async with uow:
        return {
            person.email
            for person in people
            if await uow.accounts.get_by_email(person.email) is not None
        }


async def seed_demo_people(
    uow_factory: Callable[[], ProfileUnitOfWork],
    deps: ProfileDeps,
    *,
    count: int = 300,
    password: str,
    seed: int = 7,
    batch_size: int = DEMO_BATCH_SIZE,
) -> DemoSeedResult:
    """Store the demo people once, as verified accounts with complete profiles.

    Each person publishes what a self-registered, verified person would have:
    ``account.registered``, ``account.email_verified`` and ``profile.upserted``
    (version 1), in the transaction that stores them. No verification email is
    queued: nobody reads these inboxes. People are written ``batch_size`` per
    transaction, in order, so the last demo person being stored means an earlier run
    finished; then nothing is done (people erased since stay erased). A run that
    stopped part-way is completed. Addresses the stored allow-list refuses (an
    administrator narrowed it) are left out.

    Args:
        uow_factory: Makes a unit of work on the service's store.
        deps: Handler collaborators (hasher, reference lists, clock).
        count: How many demo people should exist.
        password: The password every demo account signs in with.
        seed: Chooses the population; the same seed gives the same people.
        batch_size: People per transaction.
    """
    people = demo_people(count, seed=seed, reference=deps.reference)
    allowed: AllowedDomains = await handlers.get_allowed_domains(uow_factory())
    admitted = [person for person in people if _is_allowed(allowed, person.email)]
    refused = len(people) - len(admitted)
    stored = await _stored_addresses(uow_factory(), admitted)
    if not admitted or admitted[-1].email in stored:
        log.info("demo_people_present", existing=len(stored), refused=refused)
        return DemoSeedResult(created=0, existing=len(stored), refused=refused)
    # Demo data only: one hash shared by every demo account keeps 300 accounts to one
    # argon2 computation. Real accounts always get their own salt.
    password_hash = await asyncio.to_thread(deps.hasher.hash, password)
    missing = [person for person in admitted if person.email not in stored]
    created = 0
    for start in range(0, len(missing), batch_size):
        uow = uow_factory()
        async with uow:
            now = deps.clock()
            for person in missing[start : start + batch_size]:
                if await uow.accounts.get_by_email(person.email) is not None:
                    continue  # registered for real since we looked
                account = Account.register(
                    person.account_id, allowed.check(person.email), password_hash, now=now
                )
                await uow.accounts.save(account)
                await uow.profiles.save(person.profile)
                uow.add_event(
                    new_event(
                        AccountRegistered(
                            account_id=account.id,
                            email=account.email,
                            display_name=person.profile.display_name,
                        ),
                        subject=account.id,
                        source=handlers.SOURCE,
                    )
                )
                await handlers.mark_email_verified(uow, account, now)
                created += 1
            await uow.commit()
    log.info("demo_people_seeded", created=created, existing=len(stored), refused=refused)
    return DemoSeedResult(created=created, existing=len(stored), refused=refused)


def _is_allowed(allowed: AllowedDomains, email: str) -> bool:
    try:
        allowed.check(email)
    except DomainError:
        return False
    return True
