"""Password policy, after NCSC and NIST SP 800-63B guidance.

Length matters, composition rules do not: at least 12 characters, passphrases up to
256, spaces and any Unicode allowed, no "one digit and one symbol" rules. What is
refused is what attackers guess first: common passwords (a shipped list), those
padded with a few digits or symbols or with letters swapped for look-alike symbols,
keyboard walks, sequences and repetitions, and the person's own name or address.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise

from profile_service.domain.errors import WeakPassword

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_RESOURCE = "common_passwords.txt"

# A listed word padded with at most this many digits or symbols is still refused.
MAX_PADDING = 6
# Names and local parts shorter than this are too likely to occur by chance.
MIN_PERSONAL_FRAGMENT = 4

_LEET = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "3": "e",
        "0": "o",
        "1": "i",
        "!": "i",
        "$": "s",
        "5": "s",
        "7": "t",
        "+": "t",
        "8": "b",
        "9": "g",
    }
)
_LEET_L = str.maketrans({"1": "l", "|": "l"})
_NON_ALNUM = re.compile(r"[\W_]+")

_KEYBOARD_WALKS = (
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'#",
    "zxcvbnm,./",
    "qwertyuiopasdfghjklzxcvbnm",
    "1234567890qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0",
    "qazwsxedcrfvtgbyhnujmikolp",
    "q1w2e3r4t5y6u7i8o9p0",
    "1q2w3e4r5t6y7u8i9o0p",
    "qweasdzxcrtyfghvbnuiojklm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
)
_WALKS = _KEYBOARD_WALKS + tuple(walk[::-1] for walk in _KEYBOARD_WALKS)


@dataclass(frozen=True, slots=True)
class PasswordProblem:
    """One reason a password is refused: a machine code and a sentence for the person."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """``{"code", "message"}`` for error details."""
        return {"code": self.code, "message": self.message}


def normalise_password(password: str) -> str:
    """NFKC-normalise a password so the same characters typed on another device still match.

    The hasher applies this before hashing and before verifying.
    """
    return unicodedata.normalize("NFKC", password)


def _compact(text: str) -> str:
    """Lower-case with whitespace removed: ``Pass Word`` and ``password`` are the same guess."""
    return "".join(text.lower().split())


def _alnum(text: str) -> str:
    """Lower-case letters and digits only, for comparing names and addresses."""
    return _NON_ALNUM.sub("", text.lower())


def _strip_padding(text: str) -> tuple[str, int]:
    """Remove leading and trailing non-letters; return the core and how much was removed."""
    start, end = 0, len(text)
    while start < end and not text[start].isalpha():
        start += 1
    while end > start and not text[end - 1].isalpha():
        end -= 1
    return text[start:end], len(text) - (end - start)


def _repeated_unit(text: str) -> str | None:
    """The shortest unit that ``text`` repeats (``abcabc`` -> ``abc``), or None."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return None


def _is_sequence(text: str) -> bool:
    """Whether ``text`` steps through characters one at a time (``abcdef``, ``9876543210``)."""
    if len(text) < 3 or not text.isalnum():
        return False
    return any(all(_next_in_sequence(a, step) == b for a, b in pairwise(text)) for step in (1, -1))


def _next_in_sequence(char: str, step: int) -> str:
    if char.isdigit():
        return str((int(char) + step) % 10)
    return chr(ord(char) + step)


def _is_keyboard_walk(text: str) -> bool:
    """Whether ``text`` is one run along the keyboard, or runs of 3+ keys back to back."""
    if len(text) < 4:
        return False
    if any(text in walk for walk in _WALKS):
        return True
    start = 0
    while start < len(text):
        end = start + 3
        if end > len(text) or not any(text[start:end] in walk for walk in _WALKS):
            return False
        while end < len(text) and any(text[start : end + 1] in walk for walk in _WALKS):
            end += 1
        start = end
    return True


class PasswordPolicy:
    """Decides whether a new password is acceptable and says why not."""

    def __init__(
        self,
        common_passwords: frozenset[str],
        *,
        min_length: int = MIN_PASSWORD_LENGTH,
        max_length: int = MAX_PASSWORD_LENGTH,
    ) -> None:
        if min_length < 8 or max_length < min_length:
            raise ValueError("min_length must be at least 8 and no more than max_length")
        self._common = frozenset(_compact(word) for word in common_passwords)
        self.min_length = min_length
        self.max_length = max_length

    @classmethod
    def default(cls) -> PasswordPolicy:
        """The policy with the shipped common-password list."""
        return cls(load_common_passwords())

    def problems(
        self, password: str, *, email: str | None = None, display_name: str | None = None
    ) -> list[PasswordProblem]:
        """Every reason ``password`` is refused; empty when it is acceptable.

        Args:
            password: The candidate, as typed (not stripped: spaces count).
            email: The account's address; a password containing its local part is refused.
            display_name: The person's name; a password containing it is refused.
        """
        text = normalise_password(password)
        found: list[PasswordProblem] = []
        if len(text) < self.min_length:
            found.append(
                PasswordProblem(
                    "too_short",
                    f"Use at least {self.min_length} characters. A few unrelated words "
                    "make a long password that is easy to remember.",
                )
            )
        if len(text) > self.max_length:
            found.append(
                PasswordProblem("too_long", f"Use no more than {self.max_length} characters.")
            )
            # Pattern checks on megabytes of text would only waste time.
            return found
        if self._is_common(text):
            found.append(
                PasswordProblem(
                    "common_password",
                    "This is one of the most commonly used passwords (or one with a few "
                    "characters added or swapped), so it is among the first ones tried.",
                )
            )
        elif self._is_pattern(text):
            found.append(
                PasswordProblem(
                    "predictable_pattern",
                    "Avoid repeated characters, sequences like abcdef or 123456, and "
                    "rows of keys like qwerty.",
                )
            )
        found.extend(self._personal_problems(text, email=email, display_name=display_name))
        return found

    def check(
        self, password: str, *, email: str | None = None, display_name: str | None = None
    ) -> None:
        """Raise :class:`WeakPassword` listing every problem, or return if acceptable."""
        found = self.problems(password, email=email, display_name=display_name)
        if found:
            raise WeakPassword(
                " ".join(problem.message for problem in found),
                details=[problem.to_dict() for problem in found],
            )

    def _is_common(self, text: str) -> bool:
        compact = _compact(text)
        candidates = {compact}
        for variant in (compact, compact.translate(_LEET), compact.translate(_LEET_L)):
            candidates.add(variant)
            # "hunter2hunter2": a padded listed word said twice.
            whole_unit = _repeated_unit(variant)
            if whole_unit:
                candidates.add(_strip_padding(whole_unit)[0])
            core, padding = _strip_padding(variant)
            if core and padding <= MAX_PADDING:
                candidates.add(core)
                # "passwordpassword", "qwertyqwerty": a listed word said twice.
                unit = _repeated_unit(core)
                if unit:
                    candidates.add(unit)
        # Swapping symbols for letters across the whole string turns trailing digits into
        # letters ("p@ssw0rd2024" -> "password2o2a"), so strip the padding first, then swap.
        core, padding = _strip_padding(compact)
        if padding <= MAX_PADDING:
            candidates.add(core.translate(_LEET))
            candidates.add(core.translate(_LEET_L))
        return not candidates.isdisjoint(self._common)

    @staticmethod
    def _is_pattern(text: str) -> bool:
        compact = _compact(text)
        if not compact:
            return True  # nothing but spaces
        unit = _repeated_unit(compact)
        if unit is not None and (len(unit) <= 4 or _is_sequence(unit) or _is_keyboard_walk(unit)):
            return True
        if _is_sequence(compact) or _is_keyboard_walk(compact):
            return True
        core, padding = _strip_padding(compact)
        return padding <= MAX_PADDING and len(core) >= 4 and _is_keyboard_walk(core)

    @staticmethod
    def _personal_problems(
        text: str, *, email: str | None, display_name: str | None
    ) -> list[PasswordProblem]:
        found = []
        password = _alnum(text)
        if email:
            local = _alnum(email.rsplit("@", 1)[0])
            if len(local) >= MIN_PERSONAL_FRAGMENT and local in password:
                found.append(
                    PasswordProblem(
                        "contains_email", "Do not use your email address in your password."
                    )
                )
        if display_name:
            name = _alnum(display_name)
            if len(name) >= MIN_PERSONAL_FRAGMENT and name in password:
                found.append(
                    PasswordProblem("contains_name", "Do not use your name in your password.")
                )
        return found


def parse_password_list(text: str) -> frozenset[str]:
    """Parse the list format: one password per line, ``#`` lines are comments."""
    return frozenset(
        _compact(line) for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def load_common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (``data/common_passwords.txt``), lower-cased."""
    resource = resources.files("profile_service.domain.data").joinpath(COMMON_PASSWORDS_RESOURCE)
    return parse_password_list(resource.read_text(encoding="utf-8"))
