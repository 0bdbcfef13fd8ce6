"""Sentence roles: a table of sentences written for these tests, by role and side."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from matching_service.domain.clause_splitting import split_clauses
from matching_service.domain.reference_terms import reference_terms
from matching_service.domain.roles import Role, classify, clauses, without_terms
from matching_service.domain.suggested_filters import suggested_filters
from profile_service.domain.reference import default_reference_data

G, OF, S, P, T = (
    Role.GOAL,
    Role.OFFER,
    Role.SELF_DESCRIPTION,
    Role.PREFERENCE,
    Role.SMALL_TALK,
)

SEEK: list[tuple[str, Role]] = [
    # Goals, plain and framed.
    ("Stakeholder management", G),
    ("Leadership", G),
    ("Getting better at writing ministerial submissions", G),
    ("I want to get better at presenting to senior leaders", G),
    ("I'd like support with workforce planning", G),
    ("I'm looking for someone who can help me with workforce planning", G),
    ("I am looking for a mentor who could help me build confidence in negotiation", G),
    ("Id like help with budgeting and forecasting", G),
    ("im looking for advice on moving into a policy role", G),
    ("I need help with managing a team for the first time", G),
    ("My goal is to improve my business case writing", G),
    ("My main goals are influencing and prioritisation", G),
    ("I'm keen to develop my coaching skills", G),
    ("I'm interested in data science and machine learning", G),
    ("I struggle with saying no to work", G),
    ("I find stakeholder management really hard", G),
    ("I would welcome guidance on preparing for an SCS assessment centre", G),
    ("Hoping to learn more about commercial negotiation", G),
    ("I'd love a mentor to help me with public speaking", G),
    ("Help with project planning and risk management", G),
    ("I want to understand how spending reviews work", G),
    ("Looking to build my network across government", G),
    ("I would like to move into digital product management", G),
    ("Writing clearer briefings for ministers", G),
    ("Managing upwards", G),
    ("I want to improve my Excel modelling", G),
    ("I'd appreciate advice on running user research", G),
    ("I want to lead a bigger team", G),
    # Self-description: department, grade, place, tenure, current job.
    ("I'm a Grade 7 in DWP", S),
    ("I'm an EO at DVLA working on casework", S),
    ("I've been at DESNZ for five years", S),
    ("I work for HMRC in Glasgow", S),
    ("I'm based in Leeds", S),
    ("I joined the Home Office in 2021", S),
    ("I moved to MoJ from HMPPS last year", S),
    ("I'm currently an HEO policy adviser", S),
    ("My current role is in the finance business partnering team", S),
    ("I have been a SEO for three years", S),
    ("Grade 7, DWP, Leeds", S),
    ("I'm a Senior Executive Officer at the Ministry of Defence", S),
    ("Currently seconded to the Cabinet Office", S),
    ("I started my career at BEIS before it split", S),
    ("I work in DLUHC on local growth", S),
    ("I'm part of the ONS census team", S),
    ("Previously I was at DECC", S),
    ("I have worked in the civil service for 12 years", S),
    # Preferences and constraints on the mentor or meetings.
    ("Ideally not someone in my own department", P),
    ("Ideally someone outside my department", P),
    ("Someone from a different department would be good", P),
    ("G7 or above please", P),
    ("At least Grade 6", P),
    ("I'd like a mentor based in Scotland", P),
    ("Happy to meet online", P),
    ("Happy to meet online or face to face", P),
    ("I'd prefer face to face meetings in London", P),
    ("Preferably someone more senior than me", P),
    ("We could meet once a month on Teams", P),
    ("A mentor in Glasgow if possible", P),
    ("Someone at SCS1 or higher", P),
    ("I'm looking for someone outside my department", P),
    ("Monthly video calls would suit me best", P),
    ("It doesn't matter which department they are from", P),
    # Small talk.
    ("I'm looking for a mentor", T),
    ("Hello!", T),
    ("Thanks for reading", T),
    ("Outside work I enjoy running", T),
    ("In my spare time I play football", T),
    ("I have two kids and my family keeps me busy", T),
    ("Please get in touch", T),
    ("Looking forward to hearing from you", T),
    ("I'd like a mentor", T),
    # Typed as notes, in lower case, with shorthand.
    ("NOT my own dept pls", P),
    ("diff dept", P),
    ("SCS if poss", P),
    ("g7+", P),
    ("currently MOJ - heo", S),
    ("PM @ MOJ", S),
    ("Norwich based, Cab Office", S),
    ("a grade 7 at hmrc, coventry office", S),
    ("seo and content design", G),
    ("focus: getting organised and on top of email", G),
    ("Coffee is always a good idea", T),
]

OFFER: list[tuple[str, Role]] = [
    ("I can help with procurement and contract management", OF),
    ("Happy to mentor on data science", OF),
    ("I've led three digital transformation programmes", OF),
    ("I have ten years' experience in HR casework", OF),
    ("I've worked in commercial for fifteen years", OF),
    ("I'm experienced in Treasury spending reviews", OF),
    ("I specialise in behavioural science", OF),
    ("Ask me about agile delivery", OF),
    ("I'd be happy to share my experience of moving from operations into policy", OF),
    ("My areas of expertise are finance and audit", OF),
    ("Strategic workforce planning", OF),
    ("User research", OF),
    ("I can offer advice on preparing for promotion boards", OF),
    ("I have delivered large IT procurements", OF),
    ("Happy to help people with interview preparation", OF),
    ("I moved here from DVLA in 2019", S),
    ("I've been a G6 for five years", S),
    ("I'm a Deputy Director at HMRC", S),
    ("I joined the civil service from the NHS in 2015", S),
    ("Before that I was at DFID for six years", S),
    ("I'm based in Cardiff", S),
    ("Currently at the Department for Education", S),
    ("I was promoted to SCS1 in 2022", S),
    ("Happy to meet online", P),
    ("I can meet face to face in Manchester or online", P),
    ("Happy to mentor", T),
    ("I enjoy cycling and baking", T),
    ("Feel free to drop me a message", T),
    ("I want to give something back", T),
    ("prev dwp (London)", S),
    ("finance BP @ DVSA", S),
    ("17 yrs in DWP, Norwich site", S),
    ("I work at HMRC as band E caseworker", S),
    ("My strongest area is survey design", OF),
    ("Most of my mentees come to me for business cases", OF),
]

MEANINGS: list[tuple[str, str, str]] = [
    (
        "seek",
        "I'm looking for someone who can help me with workforce planning",
        "workforce planning",
    ),
    ("seek", "I'd like support with stakeholder management", "stakeholder management"),
    (
        "seek",
        "I want to get better at presenting to senior leaders",
        "presenting to senior leaders",
    ),
    ("seek", "I find stakeholder management really hard", "stakeholder management"),
    (
        "seek",
        "im looking for help with budgets, forecasts and cases",
        "budgets, forecasts and cases",
    ),
    ("seek", "My goal is to improve my business case writing", "business case writing"),
    ("seek", "I'm keen to develop my coaching skills", "coaching skills"),
    ("seek", "Leadership", "Leadership"),
    (
        "offer",
        "I can help with procurement and contract management",
        "procurement and contract management",
    ),
    ("offer", "Happy to mentor on data science", "data science"),
    ("offer", "I have ten years' experience in HR casework", "HR casework"),
    (
        "offer",
        "I've led three digital transformation programmes",
        "led three digital transformation programmes",
    ),
    ("offer", "Ask me about agile delivery", "agile delivery"),
]


@pytest.mark.parametrize(("text", "role"), SEEK, ids=[text for text, _ in SEEK])
def test_a_request_clause_gets_its_role(text: str, role: Role) -> None:
    assert classify(text, "seek").role is role


@pytest.mark.parametrize(("text", "role"), OFFER, ids=[text for text, _ in OFFER])
def test_a_mentor_clause_gets_its_role(text: str, role: Role) -> None:
    assert classify(text, "offer").role is role


def test_the_table_has_at_least_a_hundred_sentences() -> None:
    assert len(SEEK) + len(OFFER) + len(MEANINGS) >= 100


@pytest.mark.parametrize(("side", "text", "meaning"), MEANINGS, ids=[t for _, t, _ in MEANINGS])
def test_request_frames_are_stripped_and_the_goal_kept(side: str, text: str, meaning: str) -> None:
    clause = classify(text, "seek" if side == "seek" else "offer")
    assert clause.role in (Role.GOAL, Role.OFFER)
    assert clause.meaning == meaning


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        (
            "I'm a Grade 7 in DWP, based in Leeds, and I'd like to get better at stakeholder "
            "management. Ideally someone outside my department.",
            [S, S, G, P],
        ),
        ("I've been at DESNZ for five years but I want help with writing business cases", [S, G]),
        ("Hi! I'm an EO at DVLA. I'm struggling with prioritisation. Thanks!", [S, G]),
        (
            "Ideally someone outside my department, G6 or above, based in Scotland.",
            [P, P],
        ),
        ("- Budgeting\n- Managing a team\n- Grade 7 in HMRC", [G, G, S]),
        ("Policy; finance; DWP", [G, G, S]),
        (
            "hello! a grade 7 at hmrc i moved here from dwp in 2010 hoping to learn more "
            "about moving up a grade ideally someone outside my department",
            [S, S, G, P],
        ),
    ],
)
def test_free_text_is_split_into_clauses_each_with_a_role(text: str, roles: list[Role]) -> None:
    assert [clause.role for clause in clauses(text, "seek")] == roles


def test_lists_inside_a_clause_stay_together() -> None:
    assert split_clauses("I want help with budgets, forecasting and business cases.") == [
        "I want help with budgets, forecasting and business cases"
    ]


@pytest.mark.parametrize(
    ("written", "kind", "code"),
    [
        ("DWP", "departments", "dwp"),
        ("Department for Work and Pensions", "departments", "dwp"),
        ("MoJ", "departments", "moj"),
        ("BEIS", "departments", "dbt"),
        ("DECC", "departments", "desnz"),
        ("DLUHC", "departments", "mhclg"),
        ("HM Prison Service", "departments", "hmpps"),
        ("G7", "grades", "G7"),
        ("grade 7", "grades", "G7"),
        ("Senior Executive Officer", "grades", "SEO"),
        ("Deputy Director", "grades", "SCS1"),
        ("Leeds", "regions", "yorkshire-humber"),
        ("Glasgow", "regions", "scotland"),
        ("Cardiff", "regions", "wales"),
    ],
)
def test_reference_terms_know_abbreviations_old_names_synonyms_and_cities(
    written: str, kind: str, code: str
) -> None:
    found = reference_terms().find(f"I work with {written} a lot")
    assert [(term.kind, term.code) for term in found] == [(kind, code)]


def test_every_name_and_alias_in_the_lists_is_found_inside_a_sentence() -> None:
    # find() skips a list when none of its words is in the text: no name may be lost
    # that way, whatever its case, punctuation or spacing.
    raw = json.loads(
        resources.files("matching_service.domain.data").joinpath("terms.json").read_text()
    )
    terms = reference_terms()
    for kind in ("departments", "grades", "regions"):
        for entry in raw[kind]:
            for name in [entry["name"], *entry.get("aliases", [])]:
                for written in {name, name.upper(), name.replace(" ", "  ")}:
                    text = f"Before that, ({written}), and then"
                    start = text.index(written)
                    # Found where written (an alias two entries share finds one of them).
                    assert [(term.start, term.end) for term in terms.find(text, [kind])] == [
                        (start, start + len(written))
                    ], (kind, written)


def test_a_name_next_to_a_character_that_folds_into_a_letter_is_found() -> None:
    # U+0345 is not a word character but case-folds to one (U+03B9, a letter).
    found = reference_terms().find("I work at DWP\u0345 in Leeds")
    assert [(term.kind, term.code) for term in found] == [
        ("departments", "dwp"),
        ("regions", "yorkshire-humber"),
    ]


def test_short_codes_in_lower_case_are_ordinary_words() -> None:
    # "co" (Cabinet Office), "dd" (Deputy Director) and "so" (Scotland Office).
    assert reference_terms().find("so I co-ordinate a dd review") == []


def test_the_terms_agree_with_the_profile_services_reference_lists() -> None:
    reference = default_reference_data()
    terms = reference_terms()
    for kind in ("departments", "grades", "regions"):
        profile_codes = reference.codes(kind)
        ours = list(terms.names[kind])
        assert set(ours) <= set(profile_codes), kind
        missing = set(profile_codes) - set(ours) - {"other"}
        assert not missing, (kind, missing)
        for code in ours:
            assert terms.name(kind, code) == reference.name(kind, code)


def test_without_terms_keeps_the_field_and_drops_the_names() -> None:
    assert without_terms("I work on pensions policy in DWP") == "I work on pensions policy in"
    assert without_terms("I'm a Grade 7 in DWP, based in Leeds") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ideally someone outside my department.", [("exclude_own_department", True)]),
        ("Someone from a different department would be good.", [("exclude_own_department", True)]),
        ("G6 or above please.", [("min_grade", "G6")]),
        ("At least Grade 7.", [("min_grade", "G7")]),
        ("I'd like a mentor based in Scotland.", [("region", "scotland")]),
        ("A mentor in Glasgow if possible.", [("region", "scotland")]),
        ("Happy to meet online.", [("accept_remote", True)]),
        ("I'd prefer to meet face to face.", [("accept_remote", False)]),
        (
            "I'm a G7 in DWP based in Leeds. Ideally someone outside my department, "
            "Grade 6 or above, based in Scotland. Happy to meet online.",
            [
                ("exclude_own_department", True),
                ("min_grade", "G6"),
                ("region", "scotland"),
                ("accept_remote", True),
            ],
        ),
        # Self-description is not a preference: the asker's own place and grade.
        ("I'm a Grade 6 based in Leeds and I want help with budgets.", []),
        ("I want to get better at stakeholder management.", []),
        ("Ideally not someone in London.", []),
    ],
)
def test_preferences_in_the_text_become_suggested_filters(
    text: str, expected: list[tuple[str, object]]
) -> None:
    assert [(f.filter, f.value) for f in suggested_filters([text])] == expected


def test_suggested_filters_have_a_label_and_the_clause_they_came_from() -> None:
    (found,) = suggested_filters(["Goals: budgets. Ideally someone at least Grade 6."])
    assert found.label == "Only show people at Grade 6 or above"
    assert found.evidence == "Ideally someone at least Grade 6"
