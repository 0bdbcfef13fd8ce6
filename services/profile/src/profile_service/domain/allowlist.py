"""Work-email checks: address syntax and the allow-list of email domains.

The allow-list is data that administrators manage. Each entry is either an exact
domain (``nhs.net``) or a suffix rule (``*.gov.uk``) that admits any subdomain but
not the bare suffix itself. Matching works on whole DNS labels, so ``evilgov.uk``
never matches ``*.gov.uk`` and ``dept.gov.uk.evil.com`` never matches anything
ending in ``gov.uk``.

Only ASCII domains are accepted: public-sector mail domains are ASCII, and refusing
Unicode outright closes look-alike tricks (a Cyrillic o in gov.uk, full-width
letters, the Kelvin sign that lower-cases to ``k``) without a confusables table.
Punycode labels (``xn--``) are plain ASCII and only ever match an entry spelt the
same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from profile_service.domain.errors import DomainNotAllowed, InvalidAllowedDomain, InvalidEmail

MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64
MAX_DOMAIN_LENGTH = 253
MAX_LABEL_LENGTH = 63

# Unquoted "dot-atom" characters of RFC 5322; quoted local parts are refused on purpose.
_LOCAL_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_TOP_LEVEL = re.compile(r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")

# Suffix rules on these would admit anyone who can buy a domain.
OPEN_REGISTRY_SUFFIXES = frozenset(
    {
        "co.uk",
        "org.uk",
        "me.uk",
        "ltd.uk",
        "plc.uk",
        "net.uk",
        "uk.com",
        "uk.net",
        "gb.net",
        "co.com",
        "com.au",
        "co.nz",
    }
)

DEFAULT_DOMAINS_RESOURCE = "allowed_domains.txt"


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """A syntactically valid address; the domain is lower-cased, the local part kept as typed."""

    local_part: str
    domain: str

    def __str__(self) -> str:
        return f"{self.local_part}@{self.domain}"


def _check_domain_syntax(domain: str, *, what: str) -> str | None:
    """Return why ``domain`` (already lower-cased ASCII) is malformed, or None if it is fine."""
    if not domain:
        return f"the {what} is empty"
    if domain.endswith("."):
        return f"the {what} ends with a dot"
    if len(domain) > MAX_DOMAIN_LENGTH:
        return f"the {what} is longer than {MAX_DOMAIN_LENGTH} characters"
    labels = domain.split(".")
    if len(labels) < 2:
        return f"the {what} needs at least two parts, like example.gov.uk"
    for label in labels:
        if not label:
            return f"the {what} has an empty part (two dots in a row or a leading dot)"
        if len(label) > MAX_LABEL_LENGTH:
            return f"a part of the {what} is longer than {MAX_LABEL_LENGTH} characters"
        if not _LABEL.fullmatch(label):
            return (
                f"the {what} may only contain letters, digits and hyphens, "
                "and no part may start or end with a hyphen"
            )
    if not _TOP_LEVEL.fullmatch(labels[-1]):
        return f"the {what} does not end in a real top-level domain"
    return None


def parse_email(raw: str) -> EmailAddress:
    """Parse and validate an email address (reasonable, not every RFC 5322 form).

    Surrounding whitespace is ignored; the domain is lower-cased. Quoted local parts,
    IP-literal domains, comments and non-ASCII characters are refused.

    Args:
        raw: The address as typed.

    Returns:
        The parsed address.

    Raises:
        InvalidEmail: With a message saying what is wrong.
    """
    text = raw.strip()
    if not text:
        raise InvalidEmail("Enter an email address.")
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(f"An email address cannot be longer than {MAX_EMAIL_LENGTH} characters.")
    if not text.isascii():
        raise InvalidEmail(
            "Email addresses with accented or non-Latin characters are not accepted; "
            "use your ASCII work address."
        )
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InvalidEmail("An email address cannot contain spaces or control characters.")
    if text.count("@") != 1:
        raise InvalidEmail("An email address must contain exactly one @.")
    local, domain = text.split("@")
    if not local:
        raise InvalidEmail("The part before the @ is empty.")
    if len(local) > MAX_LOCAL_PART_LENGTH:
        raise InvalidEmail(
            f"The part before the @ cannot be longer than {MAX_LOCAL_PART_LENGTH} characters."
        )
    if not all(_LOCAL_ATOM.fullmatch(atom) for atom in local.split(".")):
        raise InvalidEmail(
            "The part before the @ contains characters that are not allowed, "
            "or a dot at its start, its end or twice in a row."
        )
    domain = domain.lower()
    if domain.startswith("[") or domain.replace(".", "").isdigit():
        raise InvalidEmail("The part after the @ must be a domain name, not an IP address.")
    problem = _check_domain_syntax(domain, what="part after the @")
    if problem:
        raise InvalidEmail(f"The email address is not valid: {problem}.")
    return EmailAddress(local_part=local, domain=domain)


@dataclass(frozen=True, slots=True)
class DomainRule:
    """One allow-list entry: an exact domain, or every subdomain of ``domain``."""

    domain: str
    subdomains: bool

    @classmethod
    def parse(cls, entry: str) -> DomainRule:
        """Parse ``nhs.net`` (exact) or ``*.gov.uk`` / ``.gov.uk`` (subdomains only).

        A leading ``@`` is tolerated because people paste ``@nhs.net``.

        Raises:
            InvalidAllowedDomain: The entry is malformed or its rule would be too broad.
        """
        text = entry.strip()
        if not text.isascii():
            raise InvalidAllowedDomain(
                f"Allowed domain {entry!r} must be written in ASCII (use the xn-- form).",
                details={"entry": entry},
            )
        text = text.lower().removeprefix("@")
        subdomains = False
        if text.startswith("*."):
            subdomains, text = True, text[2:]
        elif text.startswith("."):
            subdomains, text = True, text[1:]
        if "*" in text or "@" in text:
            raise InvalidAllowedDomain(
                f"Allowed domain {entry!r} is not valid: use an exact domain like nhs.net "
                "or a rule like *.gov.uk (a single leading *. only).",
                details={"entry": entry},
            )
        problem = _check_domain_syntax(text, what="domain")
        if problem:
            raise InvalidAllowedDomain(
                f"Allowed domain {entry!r} is not valid: {problem}.", details={"entry": entry}
            )
        if subdomains and text in OPEN_REGISTRY_SUFFIXES:
            raise InvalidAllowedDomain(
                f"Allowed domain {entry!r} would admit anyone who registers a domain under "
                f"{text}; list the organisation's own domain instead.",
                details={"entry": entry},
            )
        return cls(domain=text, subdomains=subdomains)

    def matches(self, domain: str) -> bool:
        """Whether a normalised (lower-case ASCII) domain falls under this rule."""
        if self.subdomains:
            return domain.endswith("." + self.domain)
        return domain == self.domain

    def __str__(self) -> str:
        return f"*.{self.domain}" if self.subdomains else self.domain


class AllowedDomains:
    """An immutable set of allow-list rules with label-boundary matching."""

    __slots__ = ("_exact", "_suffixes")

    def __init__(self, rules: Iterable[DomainRule | str] = ()) -> None:
        exact: set[str] = set()
        suffixes: set[str] = set()
        for rule in rules:
            parsed = rule if isinstance(rule, DomainRule) else DomainRule.parse(rule)
            (suffixes if parsed.subdomains else exact).add(parsed.domain)
        self._exact = frozenset(exact)
        self._suffixes = frozenset(suffixes)

    @property
    def rules(self) -> list[DomainRule]:
        """Every rule, sorted (exact before suffix for the same domain)."""
        found = [DomainRule(d, False) for d in self._exact]
        found += [DomainRule(d, True) for d in self._suffixes]
        return sorted(found, key=lambda r: (r.domain, r.subdomains))

    def entries(self) -> list[str]:
        """The rules as text (``nhs.net``, ``*.gov.uk``), sorted; what administrators see."""
        return [str(rule) for rule in self.rules]

    def matching_rule(self, domain: str) -> DomainRule | None:
        """The rule that admits ``domain`` (exact wins over suffix), or None."""
        domain = domain.lower()
        if domain in self._exact:
            return DomainRule(domain, False)
        # Walk the parent domains label by label: cost grows with the address, not the list.
        labels = domain.split(".")
        for start in range(1, len(labels)):
            parent = ".".join(labels[start:])
            if parent in self._suffixes:
                return DomainRule(parent, True)
        return None

    def allows_domain(self, domain: str) -> bool:
        """Whether a domain (not an address) is admitted."""
        return self.matching_rule(domain) is not None

    def check(self, raw_email: str) -> EmailAddress:
        """Parse ``raw_email`` and make sure its domain is allowed.

        Raises:
            InvalidEmail: The address is malformed.
            DomainNotAllowed: The address is fine but the domain is not on the list.
        """
        address = parse_email(raw_email)
        if not self.allows_domain(address.domain):
            raise DomainNotAllowed(
                f"Email addresses at {address.domain} cannot register. Use your work address; "
                "if your organisation is missing, ask the Mentor Match team to add it.",
                details={"domain": address.domain},
            )
        return address

    def with_entries(self, extra: Iterable[DomainRule | str]) -> AllowedDomains:
        """A new list holding these rules and ``extra``."""
        return AllowedDomains([*self.rules, *extra])

    def __contains__(self, domain: object) -> bool:
        return isinstance(domain, str) and self.allows_domain(domain)

    def __iter__(self) -> Iterator[DomainRule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self._exact) + len(self._suffixes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AllowedDomains):
            return NotImplemented
        return self._exact == other._exact and self._suffixes == other._suffixes

    def __hash__(self) -> int:
        return hash((self._exact, self._suffixes))

    def __repr__(self) -> str:
        return f"AllowedDomains({self.entries()!r})"


def parse_domain_entries(text: str) -> list[DomainRule]:
    """Parse a comma-separated list (the ``ALLOWED_DOMAINS`` variable); blanks are skipped.

    Raises:
        InvalidAllowedDomain: Naming the first bad entry.
    """
    return [DomainRule.parse(item) for item in text.split(",") if item.strip()]


def parse_domain_file(text: str) -> list[DomainRule]:
    """Parse the seed file format: one entry per line, ``#`` starts a comment."""
    rules = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            rules.append(DomainRule.parse(entry))
    return rules


@lru_cache(maxsize=1)
def default_allowed_domains() -> AllowedDomains:
    """The seeded public-sector list shipped with the service (``data/allowed_domains.txt``)."""
    text = resources.files("profile_service.domain.data").joinpath(DEFAULT_DOMAINS_RESOURCE)
    return AllowedDomains(parse_domain_file(text.read_text(encoding="utf-8")))


def initial_allowed_domains(extra: str | None = None) -> AllowedDomains:
    """The list to store at first start: the seeded list plus ``ALLOWED_DOMAINS`` entries.

    Args:
        extra: The raw comma-separated ``ALLOWED_DOMAINS`` value, or None when unset.

    Raises:
        InvalidAllowedDomain: An extra entry is malformed (fail at start, not at sign-up).
    """
    seeded = default_allowed_domains()
    if not extra:
        return seeded
    return seeded.with_entries(parse_domain_entries(extra))


def email_key(email: str) -> str:
    """Lookup key for an address: lower-cased, surrounding spaces removed."""
    return email.strip().lower()
