"""Normalise free-text occupations and skills to ESCO concepts: dense + character n-gram TF-IDF.

Each concept has several labels (preferred, alternative, hidden). A query is compared with every
label; a concept's score is the best score over its labels. The hybrid score mixes the calibrated
dense cosine with the char n-gram TF-IDF cosine; ``alpha`` is tuned on a dev split (docs/quality.md).
This service uses the ESCO classification of the European Commission.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from matcher.esco import Esco
from matcher.textvectors import TextVectors

Mode = Literal["hybrid", "dense", "tfidf", "bm25"]
ConceptKind = Literal["occupation", "skill"]
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    """One suggested concept."""

    uri: str
    label: str
    score: float


@dataclass
class ConceptLabels:
    """A concept and the labels it can be found by."""

    uri: str
    preferred: str
    labels: list[str]


def occupation_concepts(esco: Esco) -> list[ConceptLabels]:
    """ESCO occupations with Dutch preferred, alternative and hidden labels."""
    return [ConceptLabels(o.uri, o.preferred, o.labels) for o in esco.occupations.values()]


def skill_concepts(esco: Esco) -> list[ConceptLabels]:
    """ESCO skills that have a Dutch label."""
    return [ConceptLabels(s.uri, s.preferred, s.labels) for s in esco.dutch_skills().values()]


def english_skill_concepts(esco: Esco) -> list[ConceptLabels]:
    """ESCO skills that have only an English label here (the multilingual model can still match Dutch text)."""
    return [ConceptLabels(s.uri, s.preferred, s.labels) for s in esco.skills.values() if not s.dutch]


class Bm25:
    """Okapi BM25 over word tokens, for a lexical baseline."""

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.vec = CountVectorizer(token_pattern=r"(?u)\b\w+\b", lowercase=True)
        tf = self.vec.fit_transform(docs).tocsr().astype(np.float32)
        n = tf.shape[0]
        df = np.bincount(tf.indices, minlength=tf.shape[1])
        self.idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        dl = np.asarray(tf.sum(axis=1)).ravel()
        avg = dl.mean() if n else 1.0
        tf = tf.tocoo()
        denom = tf.data + k1 * (1 - b + b * dl[tf.row] / avg)
        data = tf.data * (k1 + 1) / denom * self.idf[tf.col]
        self.w = sparse.csr_matrix((data, (tf.row, tf.col)), shape=tf.shape).T.tocsr()

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """[len(queries), n_docs] BM25 scores."""
        q = self.vec.transform(queries)
        q.data[:] = 1.0
        return np.asarray((q @ self.w).todense(), dtype=np.float32)


class Normalizer:
    """Suggests ESCO concepts for free text."""

    def __init__(
        self,
        concepts: list[ConceptLabels],
        vectors: TextVectors | None,
        *,
        alpha: float = 0.7,
        dense_floor: float = 0.5,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.concepts = concepts
        self.alpha = alpha
        self.dense_floor = dense_floor
        labels: list[str] = []
        owner: list[int] = []
        starts: list[int] = []
        for ci, c in enumerate(concepts):
            starts.append(len(labels))
            for label in c.labels or [c.preferred]:
                labels.append(label)
                owner.append(ci)
        self.labels = labels
        self.owner = np.array(owner, dtype=np.int64)
        self._starts = np.array(starts, dtype=np.int64)
        self.tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True, sublinear_tf=True)
        self.label_tfidf = self.tfidf.fit_transform(labels).T.tocsr().astype(np.float32)
        self._bm25: Bm25 | None = None
        self.vectors = vectors
        self.label_vecs: np.ndarray | None = None
        if vectors is not None:
            vectors.ensure(labels, progress=progress)
            self.label_vecs = vectors.get(labels)

    @property
    def has_dense(self) -> bool:
        """Whether dense scoring is available."""
        return self.label_vecs is not None

    def label_scores(self, queries: Sequence[str], mode: Mode) -> np.ndarray:
        """[len(queries), n_labels] scores of every label for one signal (not hybrid)."""
        qs = [q.strip() for q in queries]
        if mode == "bm25":
            if self._bm25 is None:
                self._bm25 = Bm25(self.labels)
            return self._bm25.scores(qs)
        if mode == "tfidf":
            return np.asarray((self.tfidf.transform(qs) @ self.label_tfidf).todense(), dtype=np.float32)
        if mode != "dense":
            raise ValueError(f"no label scores for mode {mode}")
        if self.label_vecs is None or self.vectors is None:
            raise RuntimeError("dense scoring needs an embedder")
        sims: np.ndarray = self.vectors.embedder.encode(qs, kind="query") @ self.label_vecs.T
        return sims

    def concept_scores(self, label_scores: np.ndarray) -> np.ndarray:
        """Max over each concept's labels: [n_queries, n_concepts]."""
        return np.maximum.reduceat(label_scores, self._starts, axis=1)

    def scores(self, queries: Sequence[str], mode: Mode = "hybrid") -> np.ndarray:
        """Concept scores; hybrid mixes the calibrated dense and the TF-IDF concept scores."""
        if mode != "hybrid":
            return self.concept_scores(self.label_scores(queries, mode))
        dense = self.concept_scores(self.label_scores(queries, "dense"))
        lex = self.concept_scores(self.label_scores(queries, "tfidf"))
        return self.combine(dense, lex)

    def combine(self, dense: np.ndarray, lex: np.ndarray) -> np.ndarray:
        """Hybrid concept scores from dense and TF-IDF concept scores."""
        cal = np.clip((dense - self.dense_floor) / (1 - self.dense_floor), 0, 1)
        return self.alpha * cal + (1 - self.alpha) * lex

    def search(self, queries: Sequence[str], top: int = 5, mode: Mode = "hybrid", batch: int = 256) -> list[list[Hit]]:
        """Top concepts for each query, best first (ties by URI)."""
        results: list[list[Hit]] = []
        for start in range(0, len(queries), batch):
            chunk = queries[start : start + batch]
            cs = self.scores(chunk, mode)
            for row in cs:
                k = min(top, len(row))
                part = np.argpartition(-row, k - 1)[:k]
                order = sorted(part.tolist(), key=lambda i: (-row[i], self.concepts[i].uri))
                results.append([Hit(self.concepts[i].uri, self.concepts[i].preferred, float(row[i])) for i in order])
        return results


class EscoTaxonomy:
    """ESCO as the engine sees it: resolve labels to URIs, essential skills, ISCO groups, labels."""

    def __init__(
        self,
        esco: Esco,
        vectors: TextVectors | None,
        *,
        threshold: float = 0.8,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.esco = esco
        self.threshold = threshold
        self.occupations = Normalizer(occupation_concepts(esco), vectors, progress=progress)
        self.skills = Normalizer(skill_concepts(esco), vectors, progress=progress)
        self._cache: dict[tuple[str, str], str | None] = {}
        self._essential = {k: set(v) for k, v in esco.essential.items()}
        self.english_skills: Normalizer | None = None
        """Skills with only an English label; built apart (``build_english_skills``), None until then."""

    def build_english_skills(self, vectors: TextVectors, progress: Callable[[int], None] | None = None) -> Normalizer:
        """Index the skills that have only an English label (their own label vectors: about 8,500 labels, half a
        minute with the int8 model); the vacancy parser then also spots those."""
        norm = Normalizer(english_skill_concepts(self.esco), vectors, progress=progress)
        self.english_skills = norm
        return norm

    def normalizer(self, kind: str) -> Normalizer:
        """The normaliser for ``occupation`` or ``skill``."""
        if kind not in ("occupation", "skill"):
            raise ValueError(f"unknown kind '{kind}' (use occupation or skill)")
        return self.occupations if kind == "occupation" else self.skills

    def resolve(self, labels: Sequence[str], kind: str) -> list[str | None]:
        """Top concept when its score reaches the threshold, else None (cached per label)."""
        todo = [lab for lab in dict.fromkeys(labels) if (kind, lab) not in self._cache]
        if todo:
            mode: Mode = "hybrid" if self.normalizer(kind).has_dense else "tfidf"
            for lab, hits in zip(todo, self.normalizer(kind).search(todo, top=1, mode=mode), strict=True):
                ok = hits and hits[0].score >= self.threshold
                self._cache[(kind, lab)] = hits[0].uri if ok else None
        return [self._cache[(kind, lab)] for lab in labels]

    def remember(self, kind: str, label: str, uri: str | None) -> None:
        """Take a resolution made by another process (the indexer) as this label's answer."""
        self._cache[(kind, label)] = uri

    def essential_skills(self, occupation_uri: str) -> set[str]:
        """Essential skill URIs of an occupation."""
        return self._essential.get(occupation_uri, set())

    def isco(self, occupation_uri: str) -> str:
        """ISCO-08 unit group."""
        occ = self.esco.occupations.get(occupation_uri)
        return occ.isco if occ else ""

    def preferred(self, uri: str) -> str:
        """Dutch preferred label of an occupation or skill."""
        occ = self.esco.occupations.get(uri)
        if occ:
            return occ.preferred
        skill = self.esco.skills.get(uri)
        return skill.preferred if skill and skill.dutch else ""

    def skill_label(self, uri: str) -> str:
        """Readable skill label (Dutch when known, else English)."""
        skill = self.esco.skills.get(uri)
        return skill.preferred if skill else ""
