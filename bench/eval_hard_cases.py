"""Thirty hand-written hard requests and the mentors they are judged against.

Written by hand, not generated: each case targets one way a matcher goes wrong.
  negation      the request names a topic it does NOT want
  far           the goal is phrased far from the words mentors use for the offer
  echo          department, grade and place echo mentors who offer something else
  sense         the same word in a different sense (pipeline, agile, cases, board ...)
  short/long    a few words, or a goal buried in a long message
Skills (HARD_SKILLS, this file's own vocabulary) are assigned by hand to every person;
relevance follows the rule in eval_common.py (2 primary, 1 secondary or same group).
"""

from __future__ import annotations

import uuid
from typing import Any

from eval_common import Person, Request, assemble

SEED = 0  # nothing random: kept for the common file shape

HARD_SKILLS: dict[str, list[str]] = {
    "finance": ["budgets", "business-cases", "financial-modelling", "accounts", "procurement"],
    "comms": ["presenting", "stakeholders"],
    "career": ["promotion-board", "personal-statement", "networking", "returning"],
    "self": ["confidence", "stress"],
    "leadership": ["influencing", "operating-model"],
    "evidence": ["data-pipelines", "user-research", "research-to-policy"],
    "people": ["recruitment", "line-management", "hybrid-working"],
    "tech": ["it-networks", "cyber"],
    "delivery": ["agile-delivery", "programme-board"],
    "operations": ["casework", "tax-processing"],
    "policy": ["security-policy", "legislation"],
    "language": ["welsh"],
}
GROUP_OF = {skill: group for group, skills in HARD_SKILLS.items() for skill in skills}


def _id(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mentor-match/eval-hard/{key}"))


# key, department, grade, region, skills, what they can help with, background
MENTORS: list[tuple[str, str, str, str, list[str], str, str]] = [
    ("m01", "dwp", "G7", "yorkshire-humber", ["budgets"],
     "I manage a £40m delegated budget and can help anyone who has to forecast and monitor spend.",
     "Grade 7 at DWP in Leeds. Previously an HEO in Jobcentre Plus, Sheffield."),
    ("m02", "dwp", "G7", "yorkshire-humber", ["presenting"],
     "Presenting to big rooms, getting over nerves on stage, structuring a talk.",
     "DWP Leeds, Grade 7. Started as an EO in Leeds Quarry House, been in DWP 18 years."),
    ("m03", "hmrc", "SEO", "north-west", ["data-pipelines"],
     "Building data pipelines: ingesting, cleaning and scheduling data flows in Python and Airflow.",
     "SEO data engineer at HMRC Manchester."),
    ("m04", "ho", "G6", "london", ["recruitment"],
     "Recruitment: building a talent pipeline, sifting, interview panels, attracting diverse candidates.",
     "Grade 6 in the Home Office, London. HR business partner by background."),
    ("m05", "desnz", "G7", "london", ["security-policy"],
     "Energy security policy: gas supply, the pipeline network and keeping the lights on.",
     "Grade 7 at DESNZ. Worked on North Sea pipelines and interconnectors."),
    ("m06", "dft", "SEO", "west-midlands", ["agile-delivery"],
     "Agile delivery: scrum ceremonies, sprint planning, running a delivery team.",
     "Delivery manager in DfT digital, Birmingham."),
    ("m07", "co", "G7", "london", ["hybrid-working"],
     "Agile working in the estate sense: hot desking, hybrid working patterns, making the office work for a team that is in two days a week.",
     "Cabinet Office workplace team. Grade 7."),
    ("m08", "hmt", "G7", "london", ["business-cases"],
     "Business cases and the Green Book five case model, from SOC to FBC.",
     "Treasury spending team, Grade 7."),
    ("m09", "moj", "HEO", "wales", ["casework"],
     "Complex casework: case management, getting decisions right first time, working a heavy caseload.",
     "HEO caseworker at the Ministry of Justice in Cardiff."),
    ("m10", "co", "G6", "south-west", ["cyber"],
     "Cyber security: threat modelling, incident response, securing cloud services.",
     "Grade 6, security architect. Cheltenham."),
    ("m11", "mod", "G7", "south-west", ["security-policy"],
     "National security policy, defence strategy and working with allies.",
     "MOD Grade 7 in Bristol, previously in the Cabinet Office national security secretariat."),
    ("m12", "hmt", "SEO", "london", ["financial-modelling"],
     "Financial modelling in Excel: building a cost model, sensitivity analysis, model assurance.",
     "SEO economist-turned-modeller at HM Treasury."),
    ("m13", "dhsc", "G6", "london", ["line-management"],
     "Being a role model for a team, line managing managers, developing your people.",
     "Grade 6 in DHSC. Managed teams of up to 40."),
    ("m14", "co", "SCS1", "london", ["operating-model"],
     "Operating models and organisation design: how a directorate should be structured.",
     "Deputy director, Cabinet Office. Ran two restructures."),
    ("m15", "dwp", "G7", "north-east", ["promotion-board"],
     "Promotion boards: preparing your examples, what panels look for, practising the interview.",
     "DWP Newcastle, Grade 7, sit on lots of promotion panels."),
    ("m16", "dft", "G6", "london", ["programme-board"],
     "Programme boards and governance: writing board papers, chairing, escalation routes.",
     "Grade 6 PMO lead at DfT."),
    ("m17", "ons", "HEO", "wales", ["personal-statement"],
     "Writing a personal statement for job applications, making your CV and statement stand out.",
     "HEO at ONS Newport, run application workshops."),
    ("m18", "hmrc", "SEO", "scotland", ["accounts"],
     "Annual report and accounts, financial statements, year-end close and audit.",
     "SEO finance business partner, HMRC Edinburgh."),
    ("m19", "hmrc", "HEO", "north-east", ["tax-processing"],
     "Processing self assessment returns at peak, running a processing team through January.",
     "HMRC Newcastle, HEO operations."),
    ("m20", "dfe", "G7", "north-west", ["returning"],
     "Returning to work after maternity leave or a long break, keeping in touch days, phased returns.",
     "DfE Manchester, Grade 7, returned twice after parental leave."),
    ("m21", "dsit", "SEO", "london", ["it-networks"],
     "Networks and infrastructure: LAN/WAN, firewalls, network engineering.",
     "SEO network engineer, DSIT."),
    ("m22", "co", "G7", "london", ["networking"],
     "Networking across government: building relationships, getting known, finding sponsors.",
     "Cabinet Office Grade 7, chair of a cross-government network."),
    ("m23", "wo", "SEO", "wales", ["welsh"],
     "Learning Welsh and working bilingually; translation and Welsh language standards.",
     "SEO in Cardiff, first language Welsh."),
    ("m24", "dfe", "G7", "london", ["research-to-policy"],
     "Translating research into policy advice: using evidence, working with analysts, evidence reviews.",
     "Grade 7 policy lead at DfE, social researcher by training."),
    ("m25", "dwp", "SEO", "yorkshire-humber", ["user-research"],
     "User research: interviews with claimants, usability testing, research ops.",
     "DWP Digital Leeds, SEO user researcher. Previously in DWP operations in Sheffield."),
    ("m26", "ho", "G7", "london", ["influencing"],
     "Influencing senior leaders and managing upwards; holding your own with directors and ministers.",
     "Home Office Grade 7, ex private office."),
    ("m27", "moj", "G7", "london", ["legislation"],
     "Bill teams, instructing parliamentary counsel, taking legislation through both Houses.",
     "MoJ Grade 7, three bills."),
    ("m28", "ons", "G6", "wales", ["stakeholders"],
     "Stakeholder management: mapping stakeholders, keeping difficult partners on side.",
     "Grade 6 at ONS Newport."),
    ("m29", "dwp", "G6", "yorkshire-humber", ["stress"],
     "Resilience, managing stress and avoiding burnout; I'm a mental health first aider.",
     "Grade 6, DWP Leeds. Worked in DWP Sheffield and HMRC Bradford before."),
    ("m30", "hmrc", "G7", "north-west", ["confidence"],
     "Confidence, imposter syndrome and finding your voice.",
     "HMRC Manchester, Grade 7. Moved from DWP Preston."),
    ("m31", "defra", "G7", "south-west", ["procurement"],
     "Procurement and contract management: tenders, frameworks, managing supplier performance.",
     "Defra Bristol, commercial Grade 7."),
    ("m32", "dwp", "SEO", "yorkshire-humber", ["casework", "line-management"],
     "Managing a team of case managers and improving casework quality.",
     "DWP Leeds, SEO. Previously at HMRC Leeds and the Home Office in Sheffield."),
    ("m33", "hmrc", "G7", "north-west", ["budgets", "accounts"],
     "Budgets and month-end: forecasting, accruals, explaining variances to the finance director.",
     "HMRC Manchester Grade 7 finance."),
    ("m34", "ho", "SEO", "london", ["cyber", "it-networks"],
     "Network security: firewalls, segmentation and secure network design.",
     "Home Office SEO, digital."),
    ("m35", "dft", "G6", "west-midlands", ["agile-delivery", "programme-board"],
     "Scaling agile across a programme; how agile teams report to a programme board.",
     "DfT Birmingham Grade 6."),
    ("m36", "desnz", "SEO", "london", ["data-pipelines", "financial-modelling"],
     "Data engineering for analysts: automated pipelines feeding our energy price models.",
     "DESNZ SEO analyst."),
    ("m37", "dwp", "G7", "yorkshire-humber", ["operating-model"],
     "Designing target operating models for large operational services.",
     "DWP Leeds Grade 7. I used to be an EO in Jobcentre Plus in Leeds and Bradford."),
    ("m38", "mod", "G6", "south-west", ["presenting", "stakeholders"],
     "Briefing and presenting to senior military and civilian stakeholders.",
     "MOD Bristol Grade 6."),
    ("m39", "fcdo", "G7", "london", ["welsh", "networking"],
     "Languages at work (I speak Welsh and French) and building an international network.",
     "FCDO Grade 7, posts in Paris and Brussels."),
    ("m40", "co", "SEO", "scotland", ["user-research", "research-to-policy"],
     "Qualitative research: interviews and focus groups, and turning the findings into recommendations.",
     "Cabinet Office Glasgow, SEO social researcher."),
]

# key, department, grade, region, primary, secondary, filters, kind, text
REQUESTS: list[tuple[str, str, str, str, str, str | None, dict[str, Any], str, str]] = [
    ("r01", "dwp", "HEO", "yorkshire-humber", "budgets", None, {}, "negation",
     "I don't need help with presenting, I'm comfortable on stage. What I need is someone who "
     "understands forecasting and monitoring a budget, because I've just been given one."),
    ("r02", "dwp", "HEO", "yorkshire-humber", "user-research", None, {"exclude_own_department": True}, "echo",
     "I'm an HEO in DWP in Leeds, been in DWP Sheffield too. Ideally not someone from DWP. "
     "I want to learn how to run interviews with users and test prototypes."),
    ("r03", "hmrc", "EO", "north-west", "recruitment", None, {}, "sense",
     "Our talent pipeline is empty: I need to get better at attracting and interviewing candidates."),
    ("r04", "ons", "HEO", "wales", "data-pipelines", "financial-modelling", {}, "sense",
     "I'd like to automate the pipeline that moves our survey data from collection into the models."),
    ("r05", "co", "SEO", "london", "agile-delivery", None, {}, "sense",
     "How do I run sprints properly? Our team says it is agile but there is no backlog or stand-up."),
    ("r06", "dhsc", "HEO", "london", "hybrid-working", None, {}, "sense",
     "We moved to a new hub with hot desks and the team is only in two days a week; how do I make "
     "flexible, agile working actually work for them?"),
    ("r07", "moj", "EO", "wales", "business-cases", None, {}, "sense",
     "I have to write my first business case and I don't understand the five cases."),
    ("r08", "ho", "EO", "london", "casework", None, {}, "sense",
     "I'm new to a casework team and drowning in cases; how do experienced caseworkers get "
     "decisions right?"),
    ("r09", "dsit", "HEO", "london", "cyber", None, {}, "far",
     "Someone got into one of our cloud accounts last month and nobody knew what to do."),
    ("r10", "mod", "SEO", "south-west", "security-policy", None, {}, "sense",
     "I'm moving into national security policy work and want to understand defence strategy."),
    ("r11", "dhsc", "HEO", "london", "line-management", None, {}, "far",
     "Three people report to me from next month and I've never done that before."),
    ("r12", "hmt", "HEO", "london", "operating-model", None, {}, "sense",
     "We need a new model for how the directorate is organised: which teams, what they own."),
    ("r13", "dft", "SEO", "west-midlands", "promotion-board", None, {"min_grade": "G7"}, "sense",
     "I've got a promotion board to G7 in March. G7 or above please. Not interested in programme "
     "boards or governance."),
    ("r14", "dft", "HEO", "london", "programme-board", "agile-delivery", {}, "sense",
     "I've been asked to be secretariat to our programme board and write the board papers."),
    ("r15", "hmrc", "AO", "scotland", "personal-statement", None, {}, "sense",
     "my statements keep getting sifted out, how do I write a better one for applications"),
    ("r16", "hmrc", "EO", "scotland", "accounts", None, {}, "sense",
     "Year end is coming and I'll be preparing parts of the financial statements for audit."),
    ("r17", "hmrc", "AO", "north-east", "tax-processing", None, {}, "short",
     "self assessment peak"),
    ("r18", "dfe", "EO", "north-west", "returning", None, {}, "far",
     "I've been off for a year with my daughter and go back in June; I'm nervous about it all."),
    ("r19", "ho", "EO", "london", "networking", None, {}, "sense",
     "I know nobody outside my team. How do I build a network across government? "
     "(Not computer networks, people!)"),
    ("r20", "wo", "EO", "wales", "welsh", None, {}, "short",
     "dysgu Cymraeg / learning Welsh"),
    ("r21", "dfe", "HEO", "london", "research-to-policy", "user-research", {}, "far",
     "The analysts send me 80-page evaluations and I have to turn them into advice for the minister."),
    ("r22", "ho", "SEO", "london", "influencing", "confidence", {}, "far",
     "When the director challenges me in a meeting I fold, even when I know I'm right."),
    ("r23", "moj", "SEO", "london", "legislation", None, {}, "far",
     "Our policy needs primary legislation and I've been told I'll lead the bill team."),
    ("r24", "ons", "HEO", "wales", "stakeholders", None, {}, "long",
     "Hi! I'm an HEO at ONS in Newport and I've been here for six years, before that I was at "
     "the DVLA in Swansea and before that in a bank. I love my job and the people. I'm a keen "
     "cyclist and I play in a brass band at weekends. The thing I want help with is dealing with "
     "partner organisations that disagree with us and keeping them on side when we change our "
     "outputs. Ideally someone at Grade 7 or above, in Wales if possible but online is fine too. "
     "Thanks so much for reading this long message!"),
    ("r25", "dwp", "EO", "yorkshire-humber", "stress", None, {"exclude_own_department": True}, "echo",
     "EO at DWP Leeds (Jobcentre Plus). Outside DWP please. I'm exhausted, working late every "
     "night and I think I'm close to burnout."),
    ("r26", "hmrc", "HEO", "north-west", "confidence", None, {}, "negation",
     "Not looking for help with budgets or accounts - I'm fine with numbers. I want to stop "
     "feeling like a fraud in meetings."),
    ("r27", "defra", "SEO", "south-west", "procurement", None, {}, "far",
     "Our supplier keeps missing deadlines and I don't know what the contract lets me do."),
    ("r28", "dwp", "HEO", "yorkshire-humber", "financial-modelling", "budgets", {}, "echo",
     "HEO in DWP Leeds, previously DWP Sheffield and Jobcentre Plus Bradford. I want to build "
     "and check cost models in Excel."),
    ("r29", "dsit", "EO", "london", "it-networks", "cyber", {}, "sense",
     "Moving into network engineering: routers, firewalls, that kind of network."),
    ("r30", "co", "HEO", "scotland", "presenting", None, {}, "negation",
     "Not stakeholder management - I'm fine one to one. It's standing up in front of 200 people "
     "at the all-staff that terrifies me."),
]


def generate() -> dict[str, Any]:
    """The hand-written set with judgements derived from the hand-assigned skills."""
    mentors = [
        Person(
            profile_id=_id(key), role="mentor", department=dept, grade=grade, region=region,
            skills=skills, expertise_text=offer, experience_text=background,
        )
        for key, dept, grade, region, skills, offer, background in MENTORS
    ]
    requests = []
    for key, dept, grade, region, primary, secondary, filters, kind, text in REQUESTS:
        person = Person(
            profile_id=_id(key), role="mentee", department=dept, grade=grade, region=region,
            goals_text=text,
        )
        requests.append(Request(person, primary, secondary, {**filters}))
    document = assemble("hard", "hand-written", SEED, mentors, requests, GROUP_OF)
    kinds = {_id(row[0]): row[7] for row in REQUESTS}
    for record in document["mentees"]:
        record["kind"] = kinds[record["profile_id"]]
    return document
