"""Splitting profile text into phrases."""

from __future__ import annotations

from matching_service.domain.model import PersonProfile
from matching_service.domain.texts import (
    MAX_PHRASES,
    offer_phrases,
    profile_phrases,
    seek_phrases,
    split_phrases,
)
from mentor_shared.events.schemas import ProfileUpserted, Roles


def test_sentences_bullets_semicolons_and_newlines_separate_phrases() -> None:
    text = (
        "I lead policy teams. I have drafted ministerial submissions; also budgets.\n"
        "- Stakeholder management\n"
        "• Coaching new managers\n"
        "1. Agile delivery"
    )
    assert split_phrases(text) == [
        "I lead policy teams",
        "I have drafted ministerial submissions",
        "also budgets",
        "Stakeholder management",
        "Coaching new managers",
        "Agile delivery",
    ]


def test_abbreviations_do_not_end_a_sentence() -> None:
    assert split_phrases("Budgets, e.g. capital spending. Dr. Smith taught me a lot.") == [
        "Budgets, e.g. capital spending",
        "Dr. Smith taught me a lot",
    ]


def test_abbreviations_written_together_are_protected_together() -> None:
    assert split_phrases("Mentors I admire, e.g.Dr. Smith, taught me. Next sentence.") == [
        "Mentors I admire, e.g.Dr. Smith, taught me",
        "Next sentence",
    ]


def test_words_ending_like_abbreviations_still_end_sentences() -> None:
    assert split_phrases("I lead teams. Next sentence here.") == [
        "I lead teams",
        "Next sentence here",
    ]


def test_inline_bullets_and_pipes_keep_single_word_items() -> None:
    assert split_phrases("Skills: policy • finance | HR") == ["Skills: policy", "finance", "HR"]


def test_one_word_sentences_and_filler_are_dropped() -> None:
    assert split_phrases("Yes. I coach new managers.\nThanks") == ["I coach new managers"]


def test_long_sentences_are_cut_at_clauses_keeping_the_words() -> None:
    sentence = (
        "Leading large programmes, managing risks and budgets across several departments, "
        "building teams from scratch and coaching new managers through their first year "
        "in post, and mentoring graduates on the Fast Stream."
    )
    phrases = split_phrases(sentence, max_words=24)
    assert len(phrases) == 3
    assert all(len(phrase.split()) <= 24 for phrase in phrases)
    assert phrases[2] == "mentoring graduates on the Fast Stream"
    assert " ".join(phrases).replace(",", "").split() == (
        sentence.rstrip(".").replace(",", "").replace(" and mentoring", " mentoring").split()
    )


def test_text_without_punctuation_is_cut_by_word_count() -> None:
    text = " ".join(f"word{index}" for index in range(50))
    phrases = split_phrases(text, max_words=20)
    assert [len(phrase.split()) for phrase in phrases] == [20, 20, 10]


def test_empty_and_blank_text_give_no_phrases() -> None:
    assert split_phrases("") == []
    assert split_phrases("  \n \t ") == []


def _event(**fields: object) -> ProfileUpserted:
    base: dict[str, object] = {
        "profile_id": "p1",
        "version": 1,
        "display_name": "Sam",
        "initials": "S",
        "roles": Roles(mentor=True, mentee=True),
    }
    base.update(fields)
    return ProfileUpserted.model_validate(base)


def test_offers_come_from_expertise_experience_and_job_title_and_seeks_from_goals() -> None:
    # Career history ("Ten years in HM Treasury") is self-description, not an offer.
    event = _event(
        expertise=["Finance", "Stakeholder management"],
        expertise_text="I run budgets. I advise boards.",
        experience_text="Ten years in HM Treasury.",
        job_title="Head of Finance",
        goals=["public speaking"],
        goals_text="I want to lead a bigger team. I freeze in big meetings.",
    )
    phrases = profile_phrases(PersonProfile.from_fields(event))
    assert phrases.offers == (
        "Finance",
        "Stakeholder management",
        "run budgets",
        "I advise boards",
        "Head of Finance",
    )
    assert phrases.seeks == (
        "public speaking",
        "I want to lead a bigger team",
        "I freeze in big meetings",
    )


def test_the_event_itself_can_be_split_and_duplicates_are_dropped() -> None:
    event = _event(expertise=["Policy", "policy"], expertise_text="Policy.", goals=[])
    assert offer_phrases(event) == ("Policy",)
    assert seek_phrases(event) == ()


def test_phrases_per_side_are_capped() -> None:
    event = _event(expertise=[f"topic number {index}" for index in range(MAX_PHRASES + 10)])
    assert len(offer_phrases(event)) == MAX_PHRASES


def test_profile_from_event_keeps_roles_and_matching_fields() -> None:
    event = _event(
        roles=Roles(coach=True),
        grade="G7",
        region="LONDON",
        travel_regions=["EAST"],
        capacity=3,
        accepting_requests=False,
    )
    profile = PersonProfile.from_fields(event)
    assert profile.roles == frozenset({"coach"})
    assert profile.travel_regions == frozenset({"EAST"})
    assert (profile.grade, profile.region, profile.capacity) == ("G7", "LONDON", 3)
    assert profile.accepting_requests is False
    assert profile.offers_help


def test_seeks_keep_only_goal_clauses_with_their_frames_stripped() -> None:
    profile = PersonProfile(
        "p",
        goals=("Leadership", "Grade 7 in DWP"),
        goals_text=(
            "I'm a Grade 7 in DWP, based in Leeds. I'm looking for someone who can help me "
            "with workforce planning. Ideally someone outside my department. Happy to meet "
            "online."
        ),
    )
    assert seek_phrases(profile) == ("Leadership", "workforce planning")


def test_offers_leave_out_career_history_and_meeting_logistics() -> None:
    profile = PersonProfile(
        "p",
        experience_text=(
            "I moved here from DVLA in 2019. I've been a G6 for five years. I can help with "
            "procurement. Happy to meet online."
        ),
    )
    assert offer_phrases(profile) == ("procurement",)


def test_a_text_without_goals_falls_back_to_self_description_without_names() -> None:
    profile = PersonProfile("p", goals_text="I'm a G7 in DWP. I work on pensions policy in Leeds.")
    assert seek_phrases(profile) == ("I work on pensions policy in",)
    only_names = PersonProfile("p", goals_text="I'm a G7 in DWP, based in Leeds.")
    assert seek_phrases(only_names) == ()
