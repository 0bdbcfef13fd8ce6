"""Work-email checks: address syntax and label-boundary matching against the allow-list."""

from __future__ import annotations

import pytest

from profile_service.domain.allowlist import (
    AllowedDomains,
    DomainRule,
    EmailAddress,
    default_allowed_domains,
    initial_allowed_domains,
    parse_domain_entries,
    parse_domain_file,
    parse_email,
)
from profile_service.domain.errors import DomainNotAllowed, InvalidAllowedDomain, InvalidEmail

ACCEPTED = "accepted"
NOT_ALLOWED = "domain_not_allowed"
INVALID = "invalid_email"

# (address, expected outcome, why)
CASES = [
    ("x@cabinetoffice.gov.uk", ACCEPTED, "a department's subdomain of gov.uk"),
    ("x@MOD.GOV.UK", ACCEPTED, "domains match whatever their case"),
    ("x@mod.uk", ACCEPTED, "mod.uk is listed exactly"),
    ("x@army.mod.uk", ACCEPTED, "subdomains of mod.uk are listed too"),
    ("x@nhs.net", ACCEPTED, "nhs.net is listed exactly"),
    ("x@met.police.uk", ACCEPTED, "a force's subdomain of police.uk"),
    ("x@finance-ni.gov.uk", ACCEPTED, "Northern Ireland departments sit under gov.uk"),
    ("x@a.b.c.gov.uk", ACCEPTED, "deep subdomains still end on a gov.uk label boundary"),
    ("x@gov.scot", ACCEPTED, "the Scottish Government's bare domain is listed"),
    ("x@gov.wales", ACCEPTED, "the Welsh Government's bare domain is listed"),
    ("x@ons.gov.uk", ACCEPTED, "an arm's-length body covered by *.gov.uk"),
    ("x@ukri.org", ACCEPTED, "an arm's-length body with its own domain"),
    ("  jane.smith@hmrc.gov.uk  ", ACCEPTED, "surrounding whitespace is ignored"),
    ("First.Last+mentoring@dwp.gov.uk", ACCEPTED, "dots and plus tags in the local part"),
    ("x@gov.uk", NOT_ALLOWED, "the bare suffix of a *. rule is not a subdomain of itself"),
    ("x@evilgov.uk", NOT_ALLOWED, "gov.uk must match a whole label, not the end of one"),
    ("x@dept.gov.uk.evil.com", NOT_ALLOWED, "gov.uk in the middle of a foreign domain"),
    ("x@police.uk", NOT_ALLOWED, "only subdomains of police.uk are listed"),
    ("x@nhs.net.evil.com", NOT_ALLOWED, "an exact entry must be the whole domain"),
    ("x@sub.nhs.net", NOT_ALLOWED, "nhs.net is exact; its subdomains are not listed"),
    ("x@gmail.com", NOT_ALLOWED, "personal mail providers are not public sector"),
    ("x@xn--gv-jmc.uk", NOT_ALLOWED, "a punycode look-alike of gov.uk is another domain"),
    ("x@g\u043ev.uk", INVALID, "a Cyrillic o in the domain (non-ASCII) is refused outright"),
    (
        "x@dept.\uff47\uff4f\uff56.\uff55\uff4b",
        INVALID,
        "full-width letters are refused, not folded to gov.uk",
    ),
    ("x@dept.gov.uk.", INVALID, "a trailing dot is refused rather than guessed away"),
    ("@cabinetoffice.gov.uk", INVALID, "an empty local part"),
    ("x@y@cabinetoffice.gov.uk", INVALID, "more than one @"),
    ("jane smith@cabinetoffice.gov.uk", INVALID, "whitespace inside the address"),
    ("x@cabinet office.gov.uk", INVALID, "whitespace inside the domain"),
    ("x.@cabinetoffice.gov.uk", INVALID, "a dot at the end of the local part"),
    ("x..y@cabinetoffice.gov.uk", INVALID, "two dots in a row in the local part"),
    ('"x y"@cabinetoffice.gov.uk', INVALID, "quoted local parts are not accepted"),
    ("x@dept..gov.uk", INVALID, "an empty label in the domain"),
    ("x@-dept.gov.uk", INVALID, "a label starting with a hyphen"),
    ("x@[10.0.0.1]", INVALID, "IP-literal domains"),
    ("x@localhost", INVALID, "a single-label domain"),
    ("x@cabinetoffice.gov.uk\n", ACCEPTED, "a trailing newline is surrounding whitespace"),
    ("x\u0000@cabinetoffice.gov.uk", INVALID, "control characters"),
    ("", INVALID, "nothing typed"),
    ("x@" + "a" * 64 + ".gov.uk", INVALID, "a domain label longer than 63 characters"),
    ("a" * 65 + "@cabinetoffice.gov.uk", INVALID, "a local part longer than 64 characters"),
]


@pytest.mark.parametrize(("address", "expected", "reason"), CASES, ids=[c[2] for c in CASES])
def test_seeded_allow_list_decides_each_address(address: str, expected: str, reason: str) -> None:
    allowed = default_allowed_domains()
    if expected == ACCEPTED:
        parsed = allowed.check(address)
        assert parsed.domain == parsed.domain.lower()
        assert str(parsed) == address.strip().rsplit("@", 1)[0] + "@" + parsed.domain
    else:
        error_type = DomainNotAllowed if expected == NOT_ALLOWED else InvalidEmail
        with pytest.raises(error_type) as raised:
            allowed.check(address)
        assert raised.value.code == expected
        assert raised.value.message


def test_table_covers_at_least_twenty_five_cases_both_ways() -> None:
    outcomes = [expected for _, expected, _ in CASES]
    assert len(CASES) >= 25
    assert outcomes.count(ACCEPTED) >= 10
    assert outcomes.count(NOT_ALLOWED) >= 5
    assert outcomes.count(INVALID) >= 10


def test_parse_email_lower_cases_the_domain_but_keeps_the_local_part() -> None:
    assert parse_email("Jane.Smith@Cabinet-Office.GOV.uk") == EmailAddress(
        "Jane.Smith", "cabinet-office.gov.uk"
    )


def test_domain_not_allowed_names_the_domain_in_its_details() -> None:
    with pytest.raises(DomainNotAllowed) as raised:
        default_allowed_domains().check("someone@Example.COM")
    assert raised.value.details == {"domain": "example.com"}
    assert "example.com" in raised.value.message


def test_suffix_rule_admits_subdomains_only() -> None:
    rule = DomainRule.parse("*.gov.uk")
    assert rule.matches("dwp.gov.uk")
    assert not rule.matches("gov.uk")
    assert not rule.matches("evilgov.uk")
    assert str(rule) == "*.gov.uk"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("nhs.net", DomainRule("nhs.net", False)),
        (" NHS.Net ", DomainRule("nhs.net", False)),
        ("@nhs.net", DomainRule("nhs.net", False)),
        ("*.gov.uk", DomainRule("gov.uk", True)),
        (".gov.uk", DomainRule("gov.uk", True)),
        ("*.Police.UK", DomainRule("police.uk", True)),
    ],
)
def test_rule_entries_are_normalised(entry: str, expected: DomainRule) -> None:
    assert DomainRule.parse(entry) == expected


@pytest.mark.parametrize(
    "entry",
    [
        "*",
        "*.uk",
        "*.co.uk",
        "*.org.uk",
        "gov.*.uk",
        "**.gov.uk",
        "gov.uk.",
        "gov..uk",
        "x@nhs.net",
        "nhs",
        "g\u043ev.uk",
        "",
    ],
)
def test_malformed_or_too_broad_rules_are_refused(entry: str) -> None:
    with pytest.raises(InvalidAllowedDomain):
        DomainRule.parse(entry)


def test_exact_entry_wins_over_a_suffix_rule_when_reporting_the_matching_rule() -> None:
    allowed = AllowedDomains(["mod.uk", "*.mod.uk"])
    assert allowed.matching_rule("mod.uk") == DomainRule("mod.uk", False)
    assert allowed.matching_rule("army.mod.uk") == DomainRule("mod.uk", True)
    assert allowed.matching_rule("evilmod.uk") is None


def test_membership_and_entries_reflect_the_rules() -> None:
    allowed = AllowedDomains(["*.gov.uk", "nhs.net", "nhs.net"])
    assert "dwp.gov.uk" in allowed
    assert "gov.uk" not in allowed
    assert len(allowed) == 2
    assert allowed.entries() == ["*.gov.uk", "nhs.net"]
    assert AllowedDomains(["nhs.net", "*.gov.uk"]) == allowed


def test_seeded_list_holds_the_usual_public_sector_domains() -> None:
    entries = set(default_allowed_domains().entries())
    expected = {
        "*.gov.uk",
        "mod.uk",
        "*.mod.uk",
        "nhs.net",
        "*.nhs.uk",
        "*.police.uk",
        "parliament.uk",
        "*.parliament.uk",
        "gov.scot",
        "*.gov.scot",
        "gov.wales",
        "*.gov.wales",
        "*.llyw.cymru",
        "acas.org.uk",
        "britishcouncil.org",
        "bl.uk",
        "ukri.org",
        "ordnancesurvey.co.uk",
        "naturalengland.org.uk",
        "historicengland.org.uk",
        "ukaea.uk",
    }
    assert expected <= entries


def test_allowed_domains_variable_extends_the_seeded_list() -> None:
    allowed = initial_allowed_domains(" example.org, *.council.example ,, ")
    assert allowed.allows_domain("example.org")
    assert allowed.allows_domain("leeds.council.example")
    assert not allowed.allows_domain("council.example")
    assert allowed.allows_domain("dwp.gov.uk")
    assert len(allowed) == len(default_allowed_domains()) + 2


def test_unset_allowed_domains_variable_keeps_the_seeded_list() -> None:
    assert initial_allowed_domains(None) == default_allowed_domains()
    assert initial_allowed_domains("") == default_allowed_domains()


def test_bad_entry_in_allowed_domains_variable_fails_naming_it() -> None:
    with pytest.raises(InvalidAllowedDomain) as raised:
        initial_allowed_domains("example.org,*.co.uk")
    assert raised.value.details == {"entry": "*.co.uk"}


def test_domain_entries_and_seed_file_formats_parse_alike() -> None:
    from_variable = parse_domain_entries("nhs.net,*.gov.uk")
    from_file = parse_domain_file("# comment\nnhs.net   # trailing comment\n\n*.gov.uk\n")
    assert from_variable == from_file == [DomainRule("nhs.net", False), DomainRule("gov.uk", True)]


def test_with_entries_returns_a_new_list_and_leaves_the_original_alone() -> None:
    base = AllowedDomains(["nhs.net"])
    extended = base.with_entries(["*.gov.uk"])
    assert "dwp.gov.uk" in extended
    assert "dwp.gov.uk" not in base
