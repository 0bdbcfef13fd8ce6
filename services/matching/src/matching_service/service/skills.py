"""Skill suggestions for a text: lexical tags plus embedding similarity to paraphrases.

Lexical tagging (:meth:`SkillVocabulary.tag`) finds the vocabulary's own wordings.
Embedding similarity finds other wordings of the same thing: each phrase of the text
is compared with every skill's name and paraphrases, and a skill is added when one
phrase is very close to one of its paraphrases (``threshold``) and clearly closer to
it than to any other skill (``margin``): a wrong tag is worse than a missing one.

The paraphrase vectors (about 1,000 phrases) are embedded once, in a background
thread started by the first request, and kept; until they are ready, suggestions are
the lexical tags alone, so no request waits for that work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from matching_service.domain.skills import Skill, SkillSide, SkillVocabulary
from matching_service.domain.texts import text_phrases
from matching_service.service.ports import Embedder

EMBEDDING_THRESHOLD = 0.72
"""Cosine (all-MiniLM-L6-v2) from which a phrase tags the skill of its nearest paraphrase."""

EMBEDDING_MARGIN = 0.05
"""How much closer the phrase must be to that skill than to the next skill."""


class SkillTagger:
    """Suggests skills for free text with the vocabulary and the service's embedder."""

    def __init__(
        self,
        vocabulary: SkillVocabulary,
        embedder: Callable[[], Embedder],
        *,
        threshold: float = EMBEDDING_THRESHOLD,
        margin: float = EMBEDDING_MARGIN,
    ) -> None:
        """Wire the tagger.

        Args:
            vocabulary: The skills.
            embedder: Returns the embedder to use (the live matcher's, read when needed).
            threshold: See :data:`EMBEDDING_THRESHOLD`.
            margin: See :data:`EMBEDDING_MARGIN`.
        """
        self.vocabulary = vocabulary
        self._embedder = embedder
        self.threshold = threshold
        self.margin = margin
        self._lock = threading.Lock()
        self._warming: threading.Thread | None = None
        self._vectors: npt.NDArray[np.float32] | None = None
        self._starts: npt.NDArray[np.int64] | None = None

    def _paraphrase_vectors(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Unit vectors of every name and paraphrase, skill by skill, and where each
        skill's rows start."""
        with self._lock:
            if self._vectors is None or self._starts is None:
                texts: list[str] = []
                starts: list[int] = []
                for skill in self.vocabulary.skills:
                    starts.append(len(texts))
                    texts.extend(dict.fromkeys((skill.name, *skill.paraphrases)))
                self._vectors = self._embedder().embed(texts).astype(np.float32)
                self._starts = np.asarray(starts, dtype=np.int64)
            return self._vectors, self._starts

    def warm(self) -> None:
        """Embed the paraphrases now (blocking); later calls return at once."""
        self._paraphrase_vectors()

    @property
    def ready(self) -> bool:
        """True once the paraphrase vectors are embedded."""
        return self._vectors is not None

    def _warm_in_background(self) -> None:
        with self._lock:
            if self._warming is not None:
                return
            self._warming = threading.Thread(
                target=self.warm, name="skill-paraphrases", daemon=True
            )
        self._warming.start()

    def embedding_tags(self, phrases: Sequence[str]) -> tuple[str, ...]:
        """Skills that one of ``phrases`` is very close to, in vocabulary order.

        Empty while the paraphrase vectors are not ready (their embedding starts then).
        """
        if not self.ready:
            self._warm_in_background()
            return ()
        if not phrases:
            return ()
        vectors, starts = self._paraphrase_vectors()
        similarities = self._embedder().embed(phrases).astype(np.float32) @ vectors.T
        # Best similarity of each phrase to each skill (over the skill's paraphrases).
        per_skill = np.maximum.reduceat(similarities, starts, axis=1)
        found: set[int] = set()
        for row in per_skill:
            order = np.argsort(-row)
            best, runner_up = float(row[order[0]]), float(row[order[1]])
            if best >= self.threshold and best - runner_up >= self.margin:
                found.add(int(order[0]))
        return tuple(self.vocabulary.skills[i].id for i in sorted(found))

    def suggest(self, text: str, side: SkillSide) -> list[Skill]:
        """Skills to suggest for a profile text, lexical tags first.

        Args:
            text: What the person wrote (expertise and experience for ``offered``,
                goals for ``sought``).
            side: Which list the suggestions are for: the text is read as matching
                reads that side (its offers, or its goals), so next to an offer or a
                goal, "I moved here from a contact centre" suggests nothing.

        Returns:
            The skills, each once, in vocabulary order within lexical then embedding tags.
        """
        phrases = text_phrases(text, "offer" if side == "offered" else "seek")
        lexical = self.vocabulary.tag_all(phrases)
        extra = [skill_id for skill_id in self.embedding_tags(phrases) if skill_id not in lexical]
        chosen = [self.vocabulary.get(skill_id) for skill_id in (*lexical, *extra)]
        return [skill for skill in chosen if skill is not None]
