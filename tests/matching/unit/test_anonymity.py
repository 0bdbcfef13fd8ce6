"""The one anonymity rule in matching: cards, filters, ranking and phrases."""

from __future__ import annotations

from matching_service.adapters.embedder import HashingEmbedder
from matching_service.adapters.snapshot import build_matcher
from matching_service.api.schemas import CardPublic
from matching_service.domain.filters import CandidateTable, allowed_candidate_ids
from matching_service.domain.model import PairHistory, PersonProfile, SuggestionQuery
from matching_service.domain.structured_fit import NEUTRAL_FIT
from matching_service.domain.texts import offer_phrases
from matching_service.service.matcher import Matcher
from tests.matching.builders import person
from tests.matching.stores import mentee, upserted

EXPERTISE = ["budget forecasting", "spending review bids"]


def people() -> list[PersonProfile]:
    common = {
        "expertise": EXPERTISE,
        "grade": "G7",
        "department": "HMT",
        "profession": "FINANCE",
        "region": "WALES",
        "job_title": "Head of Budget Forecasting",
    }
    return [
        person("open", **common),
        person("hidden", anonymous=True, **common),
        person(
            "asker",
            "mentee",
            goals=["budget forecasting skills"],
            grade="HEO",
            profession="FINANCE",
            region="WALES",
        ),
    ]


def test_an_anonymous_card_shows_initials_department_and_grade_only() -> None:
    profile = upserted(
        "p",
        display_name="Jane Quinn Smith",
        anonymous=True,
        department="HMRC",
        grade="G7",
        profession="POLICY",
        region="WALES",
    )
    facts = {"usual_reply_days": 2, "last_active": "2026-11"}
    assert CardPublic.of(profile, **facts).model_dump() == {
        "display_name": "J. Q. S.",
        "department": "HMRC",
        "profession": None,
        "grade": "G7",
        "region": None,
        "usual_reply_days": None,
        "last_active": None,
    }
    revealed = CardPublic.of(profile, reveal=True, **facts)
    assert (revealed.display_name, revealed.profession) == ("Jane Quinn Smith", "POLICY")
    assert (revealed.usual_reply_days, revealed.last_active) == (2, "2026-11")


def test_an_anonymous_person_never_passes_a_region_filter() -> None:
    everyone = people()
    asker = everyone[2]
    table = CandidateTable()
    for profile in everyone:
        table.upsert(profile)
    for region in ("WALES", "LONDON"):
        query = SuggestionQuery(role="mentor", region=region)
        expected = {"open"}
        assert allowed_candidate_ids(everyone, asker, query, PairHistory()) == expected
        assert table.allowed_ids(asker, query, PairHistory()) == expected
    unfiltered = SuggestionQuery(role="mentor")
    assert table.allowed_ids(asker, unfiltered, PairHistory()) == {"open", "hidden"}
    # Department and grade stay visible, so those filters still apply to them.
    by_department = SuggestionQuery(role="mentor", department="HMT", min_grade="G7")
    assert table.allowed_ids(asker, by_department, PairHistory()) == {"open", "hidden"}


def test_an_anonymous_job_title_is_not_a_phrase_anyone_can_match() -> None:
    open_person, hidden, _ = people()
    assert "Head of Budget Forecasting" in offer_phrases(open_person)
    assert "Head of Budget Forecasting" not in offer_phrases(hidden)
    event = mentee("m", anonymous=True, job_title="Private Secretary to the Minister")
    assert "Private Secretary to the Minister" not in offer_phrases(event)


def test_anonymous_candidates_get_no_profession_or_region_fit_and_their_words_are_not_quoted() -> (
    None
):
    matcher: Matcher = build_matcher(HashingEmbedder(dimension=256))
    matcher.index_profiles(people())
    # Profession counts only when asked for; a hidden region counts as unknown (neutral).
    query = SuggestionQuery(role="mentor", profession="FINANCE")
    found = {s.profile_id: s for s in matcher.suggest("asker", query)}
    shown, hidden = found["open"], found["hidden"]
    assert "Same profession: FINANCE" in shown.reasons
    assert "Based in your region" in shown.reasons
    assert (shown.parts.profession, shown.parts.region) == (1.0, 1.0)
    assert (hidden.parts.profession, hidden.parts.region) == (0.0, NEUTRAL_FIT)
    assert hidden.score < shown.score
    assert not any("profession" in reason or "region" in reason for reason in hidden.reasons)
    for reason in hidden.reasons:
        assert "budget forecasting'" not in reason.replace("skills'", ""), reason
        assert "spending review" not in reason, reason
    assert hidden.reasons[0].startswith(
        "Your goal 'budget forecasting skills' matches their profile"
    )


def test_a_free_text_search_for_a_job_title_does_not_find_the_anonymous_holder() -> None:
    matcher: Matcher = build_matcher(HashingEmbedder(dimension=256))
    title = "Chief Statistician Wales"
    matcher.index_profiles(
        [
            person("open", expertise=["gardening"], job_title=title),
            person("hidden", expertise=["gardening"], job_title=title, anonymous=True),
        ]
    )
    hits = {hit.profile_id: hit for hit in matcher.search_text(title, SuggestionQuery())}
    assert any(title in reason for reason in hits["open"].reasons)
    hidden = hits.get("hidden")
    if hidden is not None:
        assert hidden.score < hits["open"].score
        assert not any("Statistician" in reason for reason in hidden.reasons)
