"""The skills vocabulary, lexical tagging (with a hand-labelled table), overlap and its reason."""

from __future__ import annotations

import json
from importlib import resources
from types import SimpleNamespace

import numpy as np
import pytest

from matching_service.domain.model import PersonProfile
from matching_service.domain.phrase_reasons import ReasonVoice
from matching_service.domain.phrase_vectors import PhraseVectors
from matching_service.domain.ranking import RankingCandidate, rank_candidates
from matching_service.domain.ranking_weights import RankingWeights
from matching_service.domain.skills import (
    SkillGroup,
    SkillVocabulary,
    load_vocabulary,
    normalise,
    skill_overlap,
    vocabulary_from_document,
)
from matching_service.domain.structured_fit import skill_bonus

# Sentences written the way people fill in the form, labelled by hand with the skills a
# careful reader would tag. Some wordings are not in the vocabulary (recall < 1 is
# expected from the lexical part alone); a wrong tag is worse than a missing one.
LABELLED: list[tuple[str, set[str]]] = [
    ("I have run user research for three digital services", {"user-research"}),
    ("Happy to help with stakeholder management and managing up", {"stakeholder-management"}),
    ("I want to get better at managing difficult stakeholders", {"stakeholder-management"}),
    ("I led a big organisational change programme at HMRC", {"change-management"}),
    ("I'd like support with public speaking - I freeze in big meetings", {"public-speaking"}),
    ("Ten years of procurement and contract management", {"procurement", "contract-management"}),
    (
        "I manage budgets of around £40m and produce the management accounts",
        {
            "budgeting",
            "management-accounting",
        },
    ),
    ("Looking for help preparing for my G7 interviews", {"interviewing"}),
    ("I want to prepare for promotion to Grade 6", {"career-progression"}),
    ("Data visualisation in Power BI and Tableau", {"data-visualisation"}),
    ("I'm a Python developer; I write SQL daily", {"python-programming", "sql-databases"}),
    ("I would like to learn about machine learning", {"machine-learning"}),
    ("Writing ministerial submissions and briefing ministers", {"ministerial-briefing"}),
    (
        "I have worked on two bill teams and drafted secondary legislation",
        {
            "legislation",
            "parliamentary-business",
        },
    ),
    (
        "Experienced in risk management and benefits realisation",
        {
            "risk-management",
            "benefits-management",
        },
    ),
    ("I want to build confidence and deal with imposter syndrome", {"confidence"}),
    ("Help me with time management, my workload is out of control", {"time-management"}),
    ("New line manager, first time managing a team", {"people-management", "first-time-manager"}),
    (
        "I coach managers through difficult conversations and giving feedback",
        {
            "difficult-conversations",
        },
    ),
    ("I want to move into the digital profession from policy", set()),
    ("I'd like to change career into data science", {"career-change", "data-science"}),
    ("I have sat on many interview panels and chaired sifts", {"interview-panels"}),
    ("Business cases using the five case model", {"business-case"}),
    ("I ran the press office during the pandemic", {"media-relations"}),
    ("Internal comms for a 5,000 person agency", {"internal-communications"}),
    ("I am neurodivergent (ADHD) and want to talk to someone who understands", {"neurodiversity"}),
    (
        "Returning from maternity leave soon and want to rebuild my confidence",
        {
            "returning-to-work",
            "confidence",
        },
    ),
    ("I want to understand how spending reviews work", {"spending-reviews"}),
    ("I've been in the civil service for 12 years, based in Leeds", set()),
    ("Outside work I enjoy running and reading", set()),
    ("I'm looking for a mentor who is outside my department", set()),
    (
        "Workforce planning and organisational design for a new directorate",
        {
            "workforce-planning",
            "organisational-design",
        },
    ),
    (
        "I want to develop my strategic thinking and see the bigger picture",
        {"seeing-the-big-picture"},
    ),
    ("I am an experienced agile delivery manager", {"agile-working", "delivery-management"}),
    ("I want to improve how I influence senior leaders", {"communicating-influencing"}),
    ("Decisions under uncertainty are hard for me", {"making-effective-decisions"}),
    (
        "I have led a contact centre and improved customer service scores",
        {
            "contact-centres",
            "customer-service",
        },
    ),
    ("Counter fraud investigations in benefits", {"counter-fraud"}),
    ("Cyber security and information assurance", {"cyber-security", "information-assurance"}),
    ("I'd like to work on net zero policy", {"environment-climate"}),
    ("Helping teams through restructures", {"organisational-design"}),
    ("I can help with work-life balance as a part-time working parent", {"work-life-balance"}),
    ("Writing personal statements and STAR examples for job applications", {"job-applications"}),
    ("Expert in GDPR and data protection impact assessments", {"data-protection"}),
    (
        "I can help people get ready for job interviews at the next grade",
        {
            "interviewing",
            "career-progression",
        },
    ),
    ("Happy to talk about juggling childcare with a demanding job", {"work-life-balance"}),
    ("I want to get better at saying no and protecting my time", {"time-management"}),
    ("I have been leading teams for many years", {"leadership"}),
    ("Talking to the press and handling journalists' questions", {"media-relations"}),
    ("Helping people write clearer emails and papers", {"writing-skills"}),
    ("I understand how money flows through a department", {"financial-management"}),
    ("Moving from the private sector into government", set()),
    ("I love hiking and baking at weekends", set()),
    ("My team builds dashboards for senior leaders", {"data-visualisation"}),
]


def _precision_recall(vocabulary: SkillVocabulary) -> tuple[float, float, list[str]]:
    true_positive = false_positive = false_negative = 0
    wrong: list[str] = []
    for text, expected in LABELLED:
        found = set(vocabulary.tag(text))
        true_positive += len(found & expected)
        false_positive += len(found - expected)
        false_negative += len(expected - found)
        wrong += [f"{text!r}: {skill}" for skill in sorted(found - expected)]
    precision = true_positive / max(1, true_positive + false_positive)
    recall = true_positive / max(1, true_positive + false_negative)
    return precision, recall, wrong


def test_lexical_tagging_is_precise_on_the_hand_labelled_table() -> None:
    precision, recall, wrong = _precision_recall(load_vocabulary())
    print(f"lexical tagging: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.95, wrong
    assert recall >= 0.85


def test_the_vocabulary_file_is_well_formed() -> None:
    vocabulary = load_vocabulary()
    assert vocabulary.version == 1
    assert 150 <= len(vocabulary) <= 300
    assert {skill.group for skill in vocabulary.skills} == {g.id for g in vocabulary.groups}
    for skill in vocabulary.skills:
        assert 3 <= len(skill.paraphrases) <= 6, skill.id
        assert skill.id == skill.id.lower()
        assert " " not in skill.id
        assert skill.name[:1].isupper(), skill.id


def test_the_vocabulary_ships_as_package_data() -> None:
    text = resources.files("matching_service").joinpath("data", "skills.v1.json").read_text()
    assert json.loads(text)["version"] == 1


def test_duplicate_ids_are_refused() -> None:
    skill = {"id": "x", "name": "X skill", "group": "g", "paraphrases": ["x skill"]}
    document = {"version": 1, "groups": [{"id": "g", "name": "G"}], "skills": [skill, skill]}
    with pytest.raises(ValueError, match="duplicate"):
        vocabulary_from_document(document)


def test_unknown_group_is_refused() -> None:
    skill = {"id": "x", "name": "X skill", "group": "nope", "paraphrases": ["x skill"]}
    with pytest.raises(ValueError, match="unknown group"):
        vocabulary_from_document(
            {"version": 1, "groups": [{"id": "g", "name": "G"}], "skills": [skill]}
        )


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("managing stakeholders", "Managing Stakeholders."),
        ("organisational design", "organizational designs"),
        ("strategies", "strategy"),
        ("managing a team", "managing the team"),
        ("learning and development", "Learning & Development"),
    ],
)
def test_normalising_folds_forms_people_write(left: str, right: str) -> None:
    assert [t for t in normalise(left) if t != "|"] == [t for t in normalise(right) if t != "|"]


def test_a_phrase_does_not_match_across_sentences() -> None:
    vocabulary = load_vocabulary()
    assert "user-research" in vocabulary.tag("I do user research.")
    assert "user-research" not in vocabulary.tag("I talk to every user. Research is new to me.")


def test_overlap_counts_sought_skills_the_other_offers() -> None:
    assert skill_overlap({"a", "b", "c", "d"}, {"a", "x"}) == (0.5, ["a"])
    assert skill_overlap({"a", "b", "c"}, {"c", "b"}) == (1.0, ["b", "c"])
    assert skill_overlap({"a"}, {"a"}) == (1.0, ["a"])
    # Covering more than the saturation of many sought skills is complete, not more.
    assert skill_overlap({"a", "b", "c", "d", "e"}, {"a", "b", "c"}) == (1.0, ["a", "b", "c"])


def test_missing_tags_are_neutral() -> None:
    assert skill_overlap(set(), {"a"}) == (0.0, [])
    assert skill_overlap({"a"}, set()) == (0.0, [])


def _event(**fields: object) -> SimpleNamespace:
    base: dict[str, object] = {
        "profile_id": "p",
        "version": 1,
        "roles": SimpleNamespace(mentor=True, mentee=True, coach=False),
        "department": None,
        "profession": None,
        "grade": None,
        "region": None,
        "travel_regions": [],
        "remote_ok": True,
        "job_title": None,
        "paused_until": None,
        "expertise": [],
        "expertise_text": "I have years of stakeholder management behind me.",
        "experience_text": "",
        "goals": ["public speaking"],
        "goals_text": "",
        "capacity": 1,
        "accepting_requests": True,
        "anonymous": False,
    }
    base.update(fields)
    return SimpleNamespace(**base)


def _indexed(**fields: object) -> PersonProfile:
    """The profile as the matcher holds it once its event is indexed."""
    from matching_service.adapters.embedder import HashingEmbedder
    from matching_service.adapters.snapshot import build_matcher

    matcher = build_matcher(HashingEmbedder())
    matcher.index_profiles([PersonProfile.from_fields(_event(**fields))])
    profile = matcher.profile("p")
    assert profile is not None
    return profile


def test_skills_are_tagged_from_text_without_confirmed_ones() -> None:
    profile = _indexed()
    assert profile.offered_skills == ("stakeholder-management",)
    assert profile.sought_skills == ("public-speaking",)


def test_confirmed_skills_win_and_unknown_ids_are_ignored() -> None:
    profile = _indexed(
        skills_offered=["budgeting", "no-such-skill"], skills_sought=["no-such-skill"]
    )
    assert profile.offered_skills == ("budgeting",)
    # Nothing confirmed that the vocabulary knows: the text's tags stand.
    assert profile.sought_skills == ("public-speaking",)


def test_only_offers_and_goals_are_tagged_never_self_description_or_preferences() -> None:
    profile = _indexed(
        expertise_text=(
            "I moved here from a contact centre in 2019. I can help with stakeholder management."
        ),
        goals=[],
        goals_text=(
            "I'm a press officer in DWP. Ideally someone who knows contact centres. "
            "I'd like support with public speaking."
        ),
    )
    assert profile.offered_skills == ("stakeholder-management",)
    assert profile.sought_skills == ("public-speaking",)


def test_a_job_title_tags_what_the_person_offers_unless_they_are_anonymous() -> None:
    fields: dict[str, object] = {"expertise_text": "", "job_title": "Senior data analyst"}
    assert _indexed(**fields).offered_skills == ("data-analysis",)
    assert _indexed(**fields, anonymous=True).offered_skills == ()


def test_skill_suggestions_read_the_side_the_text_is_for() -> None:
    from matching_service.adapters.embedder import HashingEmbedder
    from matching_service.service.skills import SkillTagger

    embedder = HashingEmbedder()
    tagger = SkillTagger(load_vocabulary(), lambda: embedder)
    text = "I moved here from a contact centre. I can help with budgeting."
    assert [skill.id for skill in tagger.suggest(text, "offered")] == ["budgeting"]
    goals = "I work in a contact centre. I want to get better at budgeting."
    assert [skill.id for skill in tagger.suggest(goals, "sought")] == ["budgeting"]


def test_skill_bonus_names_the_shared_skill_for_both_voices() -> None:
    mentee = PersonProfile("m", roles=frozenset({"mentee"}), sought_skills=("sql-databases",))
    mentor = PersonProfile("t", roles=frozenset({"mentor"}), offered_skills=("sql-databases",))
    assert skill_bonus(mentee, mentor, "mentor") == (
        1.0,
        "Can help with SQL and databases, which you want to develop",
    )
    assert skill_bonus(mentor, mentee, "mentee") == (
        1.0,
        "Wants to develop SQL and databases, which you can help with",
    )
    assert skill_bonus(None, mentor, "mentor") == (0.0, None)


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(8).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_shared_skills_lift_a_candidate_and_are_named_in_its_reasons() -> None:
    goal = _unit(1)
    asker = PersonProfile(
        "m", roles=frozenset({"mentee"}), sought_skills=("stakeholder-management",)
    )
    phrases = PhraseVectors(("x",), goal[None, :])

    def candidate(profile_id: str, offered: tuple[str, ...]) -> RankingCandidate:
        profile = PersonProfile(profile_id, roles=frozenset({"mentor"}), offered_skills=offered)
        return RankingCandidate(profile, phrases, profile_similarity=0.5)

    # Same text similarity; "b" sorts after "a" on ties, so only the skill lifts it.
    ranked = rank_candidates(
        asker,
        phrases,
        [candidate("a", ()), candidate("b", ("stakeholder-management",))],
        role="mentor",
        weights=RankingWeights(),
        voice=ReasonVoice.MENTEE,
        limit=2,
    )
    assert [s.profile_id for s in ranked] == ["b", "a"]
    assert ranked[0].parts.skills == 1.0
    assert "Can help with stakeholder management, which you want to develop" in ranked[0].reasons
    assert not any("Can help with" in reason for reason in ranked[1].reasons)


def test_a_vocabulary_can_be_built_in_code() -> None:
    from matching_service.domain.skills import Skill

    vocabulary = SkillVocabulary(
        2, [SkillGroup("g", "G")], [Skill("s", "Budgeting", "g", ("setting a budget",))]
    )
    assert vocabulary.tag("I enjoy setting budgets.") == ("s",)
    assert vocabulary.name_of("s") == "Budgeting"
    assert vocabulary.name_of("t") == "t"


def test_suggestions_add_embedding_tags_once_the_paraphrases_are_embedded() -> None:
    from matching_service.adapters.embedder import HashingEmbedder
    from matching_service.domain.skills import Skill
    from matching_service.service.skills import SkillTagger

    vocabulary = SkillVocabulary(
        1,
        [SkillGroup("g", "G")],
        [
            Skill("budgets", "Money matters", "g", ("setting a budget",)),
            Skill("press", "Media relations", "g", ("press office",)),
        ],
    )
    embedder = HashingEmbedder()
    tagger = SkillTagger(vocabulary, lambda: embedder, threshold=0.45, margin=0.05)
    text = "Budget setting for teams"  # words reordered: not a lexical tag
    assert vocabulary.tag(text) == ()
    tagger.warm()
    assert tagger.ready
    assert [skill.id for skill in tagger.suggest(text, "offered")] == ["budgets"]
    strict = SkillTagger(vocabulary, lambda: embedder, threshold=0.9, margin=0.05)
    strict.warm()
    assert strict.suggest(text, "offered") == []


def test_suggestions_are_lexical_until_the_paraphrases_are_ready() -> None:
    from matching_service.adapters.embedder import HashingEmbedder
    from matching_service.service.skills import SkillTagger

    embedder = HashingEmbedder()
    tagger = SkillTagger(load_vocabulary(), lambda: embedder)
    found = tagger.suggest("I manage budgets.", "offered")
    assert [skill.id for skill in found] == ["budgeting"]
