"""The matching engine: indexes candidates and vacancies and ranks them both ways, with explanations.

Plain data in (``CandidateProfile``/``VacancyProfile``), ranked ``MatchResult`` out. Retrieval is a
vector search over the concatenation [occupation, skills, full text] of each profile, so the inner
product with a weighted query equals the weighted sum of the three cosines; the top of that list is
then re-ranked with the full score (ESCO skill coverage, occupation match, conditions).
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from matcher.embedder import Embedder
from matcher.index import FaissIndex, VectorIndex
from matcher.profiles import CandidateProfile, Concept, VacancyProfile, candidate_texts, vacancy_texts
from matcher.ranking import (
    Features,
    MatchResult,
    PairBlock,
    RankingConfig,
    SkillMatch,
    offer_fits_ladder,
    score,
    score_block,
)
from matcher.textvectors import TextVectors


class TaxonomyContext(Protocol):
    """What the engine needs to know about ESCO (optional)."""

    def resolve(self, labels: Sequence[str], kind: str) -> list[str | None]:
        """ESCO URI for each free-text label, or None when no concept fits well enough."""
        ...

    def essential_skills(self, occupation_uri: str) -> set[str]:
        """Essential skill URIs of an occupation."""
        ...

    def isco(self, occupation_uri: str) -> str:
        """ISCO-08 unit group of an occupation ('' when unknown)."""
        ...

    def preferred(self, uri: str) -> str:
        """Dutch preferred label of a concept ('' when unknown)."""
        ...

    def skill_label(self, uri: str) -> str:
        """A readable label of a skill ('' when unknown)."""
        ...

    def remember(self, kind: str, label: str, uri: str | None) -> None:
        """Take a resolution made elsewhere (by the indexer) as this label's answer."""
        ...


@dataclass
class _Prepared:
    occ_labels: list[str]
    occ_uris: set[str]
    skill_labels: list[str]
    skill_uris: set[str]
    essential: dict[str, str] = field(default_factory=dict)  # skill uri -> occupation label it comes from
    isco: set[str] = field(default_factory=set)
    texts: tuple[str, str, str] = ("", "", "")
    comp: np.ndarray | None = None  # [3, d]: occupation, skills, full-text vectors
    occ_mat: np.ndarray | None = None
    skill_mat: np.ndarray | None = None
    skill_lower: dict[str, str] = field(default_factory=dict)


@dataclass
class ProfileTexts:
    """What a profile needs embedded: its texts (in the engine's order) and how its labels resolved."""

    id: int
    texts: list[str]
    resolved: list[tuple[str, str, str | None]]  # (kind, label, ESCO uri or None)


@dataclass
class SearchHit:
    """A free-text search result."""

    id: int
    score: float


def _texts(p: _Prepared) -> list[str]:
    return [t for t in dict.fromkeys([*p.texts, *p.occ_labels, *p.skill_labels]) if t]


def _resolve(concepts: list[Concept], kind: str, tax: TaxonomyContext | None) -> list[Concept]:
    if tax is None:
        return concepts
    todo = [c.label for c in concepts if not c.uri]
    if not todo:
        return concepts
    found = dict(zip(todo, tax.resolve(todo, kind), strict=True))
    return [c if c.uri else Concept(c.label, found.get(c.label)) for c in concepts]


@dataclass(frozen=True)
class RankOnly:
    """The embedder of an engine copied to another process (a Dask worker): it ranks what was loaded and never
    encodes, so the model does not travel. ``version`` is that of the vectors it carries."""

    dim: int
    version: str

    def encode(self, texts: Sequence[str], *, kind: str = "query") -> np.ndarray:
        """Refuse: a copy ranks only."""
        raise RuntimeError("this copy of the engine ranks only; it cannot encode new text")


@dataclass(frozen=True)
class FixedDay:
    """``today`` of an engine copy: the day it was copied (a picklable callable)."""

    day: dt.date

    def __call__(self) -> dt.date:
        return self.day


class MatchEngine:
    """Holds the profiles and indexes of both sides and ranks them.

    A pickled engine (``pickle``, a Dask scatter) is a copy for ranking elsewhere: the loaded profiles, prepared
    features and vectors travel; the model, the taxonomy (only needed to prepare and explain) and caches do not,
    and its day is fixed. It ranks with ``explain=False`` exactly as the original."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        config: RankingConfig | None = None,
        taxonomy: TaxonomyContext | None = None,
        index_factory: Callable[[int], VectorIndex] = FaissIndex,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.embedder = embedder
        self.config = config or RankingConfig()
        self.taxonomy = taxonomy
        self.today = today
        self.vectors = TextVectors(embedder)
        self.cand_index: VectorIndex = index_factory(embedder.dim)
        self.vac_index: VectorIndex = index_factory(embedder.dim)
        self.candidates: dict[int, CandidateProfile] = {}
        self.vacancies: dict[int, VacancyProfile] = {}
        self._cprep: dict[int, _Prepared] = {}
        self._vprep: dict[int, _Prepared] = {}
        self._cfilter: dict[str, np.ndarray] | None = None
        self._cpos: dict[int, int] = {}  # candidate id -> its row in the filter arrays
        self._vfilter: dict[str, np.ndarray] | None = None
        self._area_codes: dict[str, int] = {}
        self._cmemo: dict[tuple[object, ...], np.ndarray] = {}  # filter -> allowed ids, until the profiles change
        self._vmemo: dict[tuple[object, ...], np.ndarray] = {}
        self._essential_memo: dict[tuple[frozenset[str], frozenset[str]], tuple[dict[str, str], set[str]]] = {}
        self._mats: weakref.WeakValueDictionary[tuple[str, ...], np.ndarray] = weakref.WeakValueDictionary()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        rank_only = RankOnly(self.embedder.dim, self.embedder.version)
        vectors = copy.copy(self.vectors)
        vectors.embedder = rank_only
        state.update(
            embedder=rank_only,
            vectors=vectors,
            today=FixedDay(self.today()),
            taxonomy=None,
            _mats=None,
            _cmemo={},
            _vmemo={},
        )
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._mats = weakref.WeakValueDictionary()

    # ----------------------------------------------------------------- preparation
    def _pref(self, uri: str | None) -> str:
        return self.taxonomy.preferred(uri) if (self.taxonomy and uri) else ""

    def _prepare_candidate(self, c: CandidateProfile) -> _Prepared:
        tax = self.taxonomy
        c.desired_occupations = _resolve(c.desired_occupations, "occupation", tax)
        c.skills = _resolve(c.skills, "skill", tax)
        occ_uris = {o.uri for o in c.desired_occupations if o.uri}
        exp_uris = {e.uri for e in c.experience if e.uri}
        occ_labels = [o.label for o in c.desired_occupations]
        occ_labels += [p for p in (self._pref(u) for u in occ_uris) if p and p not in occ_labels]
        essential, isco = self._essentials(frozenset(occ_uris), frozenset(exp_uris))
        pref = {u: self._pref(u) for u in occ_uris}
        intern = sys.intern  # the same label or text in many profiles is one string in memory
        t_occ, t_skills, t_full = candidate_texts(c, pref)
        return _Prepared(
            [intern(x) for x in occ_labels],
            occ_uris,
            [intern(s.label) for s in c.skills],
            {s.uri for s in c.skills if s.uri},
            essential,
            isco,
            (intern(t_occ), intern(t_skills), intern(t_full)),
        )

    def _essentials(self, occ_uris: frozenset[str], exp_uris: frozenset[str]) -> tuple[dict[str, str], set[str]]:
        """Essential skills (uri -> occupation label) and ISCO groups of a set of occupations: one shared,
        read-only pair per distinct set, not a copy per candidate (tens of entries each)."""
        key = (occ_uris, exp_uris)
        found = self._essential_memo.get(key)
        if found is not None:
            return found
        tax = self.taxonomy
        essential: dict[str, str] = {}
        isco: set[str] = set()
        if tax:
            for uri in sorted(occ_uris | exp_uris):
                label = self._pref(uri)
                if uri in occ_uris:
                    isco.add(tax.isco(uri))
                for s in tax.essential_skills(uri):
                    essential.setdefault(s, label)
        found = (essential, isco - {""})
        self._essential_memo[key] = found
        return found

    def _prepare_vacancy(self, v: VacancyProfile) -> _Prepared:
        tax = self.taxonomy
        if v.occupation is not None and not v.occupation.uri and tax:
            v.occupation = _resolve([v.occupation], "occupation", tax)[0]
        elif v.occupation is None and tax:
            uri = tax.resolve([v.title], "occupation")[0]
            v.occupation = Concept(v.title, uri) if uri else None
        v.required_skills = _resolve(v.required_skills, "skill", tax)
        v.nice_skills = _resolve(v.nice_skills, "skill", tax)
        occ_uris = {v.occupation.uri} if v.occupation and v.occupation.uri else set()
        occ_labels = [v.title] + ([v.occupation.label] if v.occupation else [])
        occ_labels += [p for p in (self._pref(u) for u in occ_uris) if p and p not in occ_labels]
        isco = {tax.isco(u) for u in occ_uris} - {""} if tax else set()
        pref = {u: self._pref(u) for u in occ_uris}
        skills = v.required_skills + v.nice_skills
        return _Prepared(
            occ_labels,
            occ_uris,
            [s.label for s in skills],
            {s.uri for s in skills if s.uri},
            {},
            isco,
            vacancy_texts(v, pref),
        )

    def _weights3(self) -> np.ndarray:
        w = self.config.weights
        return np.array([w.occupation + w.occupation_esco, w.skills + w.skill_coverage, w.text], dtype=np.float32)

    def _finish(self, p: _Prepared) -> None:
        """Attach the cached vectors a prepared profile needs for scoring (no encoding when cached)."""
        d = self.embedder.dim
        p.comp = self._matrix(tuple(p.texts))
        p.occ_mat = self._matrix(tuple(p.occ_labels)) if p.occ_labels else np.zeros((0, d), np.float32)
        p.skill_mat = self._matrix(tuple(p.skill_labels)) if p.skill_labels else np.zeros((0, d), np.float32)
        p.skill_lower = {x.lower(): x for x in p.skill_labels}

    def _matrix(self, texts: tuple[str, ...]) -> np.ndarray:
        """The (read-only) vectors of these texts, shared by every profile with the same texts: profiles that
        share their labels or texts share one array instead of holding a copy each."""
        found = self._mats.get(texts)
        if found is None:
            found = self.vectors.get(list(texts))
            found.flags.writeable = False
            self._mats[texts] = found
        return found

    def _combined(self, p: _Prepared) -> np.ndarray:
        """The retrieval vector: the weighted sum of the three parts, normalised."""
        assert p.comp is not None
        v = self._weights3() @ p.comp
        n = float(np.linalg.norm(v))
        out: np.ndarray = v / n if n > 0 else v
        return out

    def _vectors(self, preps: list[_Prepared], progress: Callable[[int], None] | None = None) -> np.ndarray:
        texts: list[str] = []
        for p in preps:
            texts.extend(p.texts)
            texts.extend(p.occ_labels)
            texts.extend(p.skill_labels)
        self.vectors.ensure(texts, progress=progress)
        out = np.zeros((len(preps), self.embedder.dim), dtype=np.float32)
        for i, p in enumerate(preps):
            self._finish(p)
            out[i] = self._combined(p)
        return out

    # --------------------------------------------------------------------- updates
    def upsert_candidates(
        self, profiles: Iterable[CandidateProfile], progress: Callable[[int], None] | None = None
    ) -> int:
        """Add or update candidates (index and profiles)."""
        items = [replace(p) for p in profiles]  # resolving ESCO URIs never changes the caller's profiles
        if not items:
            return 0
        self._preresolve([o for c in items for o in c.desired_occupations], [s for c in items for s in c.skills])
        preps = [self._prepare_candidate(c) for c in items]
        vecs = self._vectors(preps, progress)
        self.cand_index.upsert([c.id for c in items], vecs)
        for c, p in zip(items, preps, strict=True):
            self.candidates[c.id], self._cprep[c.id] = c, p
        self._patch_cand_arrays(items)
        return len(items)

    def upsert_vacancies(
        self, profiles: Iterable[VacancyProfile], progress: Callable[[int], None] | None = None
    ) -> int:
        """Add or update vacancies."""
        items = [replace(p) for p in profiles]  # resolving ESCO URIs never changes the caller's profiles
        if not items:
            return 0
        self._preresolve(
            [v.occupation for v in items if v.occupation] + [Concept(v.title) for v in items if not v.occupation],
            [s for v in items for s in v.required_skills + v.nice_skills],
        )
        preps = [self._prepare_vacancy(v) for v in items]
        vecs = self._vectors(preps, progress)
        self.vac_index.upsert([v.id for v in items], vecs)
        for v, p in zip(items, preps, strict=True):
            self.vacancies[v.id], self._vprep[v.id] = v, p
        self._vfilter = None
        return len(items)

    def _preresolve(self, occupations: list[Concept], skills: list[Concept]) -> None:
        """Resolve all labels of a batch in one call per kind (the taxonomy caches them)."""
        if self.taxonomy is None:
            return
        for kind, items in (("occupation", occupations), ("skill", skills)):
            todo = list(dict.fromkeys(c.label for c in items if not c.uri))
            if todo:
                self.taxonomy.resolve(todo, kind)

    def _resolutions(self, wanted: list[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
        tax = self.taxonomy
        if tax is None:
            return []
        return [(kind, label, tax.resolve([label], kind)[0]) for kind, label in dict.fromkeys(wanted)]

    def texts_of_candidates(self, profiles: Iterable[CandidateProfile]) -> list[ProfileTexts]:
        """The texts each candidate's vectors are made of (nothing is encoded but what ESCO resolution needs)."""
        items = [replace(p) for p in profiles]
        self._preresolve([o for c in items for o in c.desired_occupations], [s for c in items for s in c.skills])
        out = []
        for c in items:
            wanted = [("occupation", o.label) for o in c.desired_occupations if not o.uri]
            wanted += [("skill", s.label) for s in c.skills if not s.uri]
            p = self._prepare_candidate(c)
            out.append(ProfileTexts(c.id, _texts(p), self._resolutions(wanted)))
        return out

    def texts_of_vacancies(self, profiles: Iterable[VacancyProfile]) -> list[ProfileTexts]:
        """The texts each vacancy's vectors are made of."""
        items = [replace(p) for p in profiles]
        self._preresolve(
            [v.occupation for v in items if v.occupation] + [Concept(v.title) for v in items if not v.occupation],
            [s for v in items for s in v.required_skills + v.nice_skills],
        )
        out = []
        for v in items:
            wanted = [("skill", s.label) for s in v.required_skills + v.nice_skills if not s.uri]
            if v.occupation is None:
                wanted.append(("occupation", v.title))
            elif not v.occupation.uri:
                wanted.append(("occupation", v.occupation.label))
            p = self._prepare_vacancy(v)
            out.append(ProfileTexts(v.id, _texts(p), self._resolutions(wanted)))
        return out

    def remember(self, resolved: Iterable[Sequence[Any]]) -> None:
        """Take the indexer's ESCO resolutions, so rebuilding these profiles resolves nothing again."""
        if self.taxonomy is not None:
            for kind, label, uri in resolved:
                self.taxonomy.remember(str(kind), str(label), uri)

    def attach_candidates(self, profiles: Iterable[CandidateProfile]) -> int:
        """Register candidates whose vectors are in the (loaded) index already."""
        profiles = [replace(p) for p in profiles]
        self._preresolve([o for c in profiles for o in c.desired_occupations], [s for c in profiles for s in c.skills])
        n = 0
        for c in profiles:
            p = self._prepare_candidate(c)
            self.vectors.ensure([*p.texts, *p.occ_labels, *p.skill_labels])
            self._finish(p)
            self.candidates[c.id], self._cprep[c.id] = c, p
            n += 1
        self._patch_cand_arrays(profiles)
        return n

    def attach_vacancies(self, profiles: Iterable[VacancyProfile]) -> int:
        """Register vacancies whose vectors are in the (loaded) index already."""
        profiles = [replace(p) for p in profiles]
        self._preresolve(
            [v.occupation for v in profiles if v.occupation] + [Concept(v.title) for v in profiles if not v.occupation],
            [s for v in profiles for s in v.required_skills + v.nice_skills],
        )
        n = 0
        for v in profiles:
            p = self._prepare_vacancy(v)
            self.vectors.ensure([*p.texts, *p.occ_labels, *p.skill_labels])
            self._finish(p)
            self.vacancies[v.id], self._vprep[v.id] = v, p
            n += 1
        self._vfilter = None
        return n

    def remove_candidates(self, ids: Iterable[int], *, evict_texts: bool = False) -> int:
        """Remove candidates from the index and the profiles; ``evict_texts`` also forgets the vectors of
        their profile texts that no other profile uses (a deleted candidate leaves no trace)."""
        ids = list(ids)
        texts: list[str] = []
        for i in ids:
            self.candidates.pop(i, None)
            prep = self._cprep.pop(i, None)
            if prep is not None:
                texts.extend(prep.texts)
        self._cfilter = None
        if evict_texts and texts:
            in_use = {t for p in (*self._cprep.values(), *self._vprep.values()) for t in p.texts}
            self.vectors.discard(t for t in texts if t not in in_use)
        return self.cand_index.remove(ids)

    def remove_vacancies(self, ids: Iterable[int]) -> int:
        """Remove vacancies."""
        ids = list(ids)
        for i in ids:
            self.vacancies.pop(i, None)
            self._vprep.pop(i, None)
        self._vfilter = None
        return self.vac_index.remove(ids)

    # --------------------------------------------------------------------- filters
    def _codes(self, areas: list[str]) -> np.ndarray:
        """Gebied codes as small integers (comparing integers is much faster than comparing strings)."""
        for a in areas:
            self._area_codes.setdefault(a, len(self._area_codes))
        return np.array([self._area_codes[a] for a in areas], dtype=np.int32)

    def _area_mask(self, column: np.ndarray, areas: Sequence[str]) -> np.ndarray:
        wanted = [self._area_codes[a] for a in areas if a in self._area_codes]
        return np.isin(column, np.array(wanted, dtype=np.int32))

    def _patch_cand_arrays(self, items: list[CandidateProfile]) -> None:
        """Bring the filter arrays up to date for changed candidates in place (a rebuild reads every profile:
        ~0.1 s at 100k, too much for each change); a new candidate means a rebuild on next use."""
        a = self._cfilter
        if a is None:
            return
        if any(c.id not in self._cpos for c in items):
            self._cfilter = None
            return
        changed = False
        for c in items:
            r = self._cpos[c.id]
            new = (int(self._codes([c.area])[0]), c.status == "active", bool(c.consent), int(c.ladder_step))
            if (int(a["area"][r]), bool(a["active"][r]), bool(a["consent"][r]), int(a["ladder"][r])) != new:
                a["area"][r], a["active"][r], a["consent"][r], a["ladder"][r] = new
                changed = True
        if changed:
            self._cmemo = {}  # the allowed ids of some filter changed

    def _cand_arrays(self) -> dict[str, np.ndarray]:
        if self._cfilter is None:
            self._cmemo = {}
            cs = list(self.candidates.values())
            self._cpos = {c.id: i for i, c in enumerate(cs)}
            self._cfilter = {
                "id": np.array([c.id for c in cs], dtype=np.int64),
                "area": self._codes([c.area for c in cs]),
                "active": np.array([c.status == "active" for c in cs], dtype=bool),
                "consent": np.array([c.consent for c in cs], dtype=bool),
                "ladder": np.array([c.ladder_step for c in cs], dtype=np.int64),
            }
        return self._cfilter

    def _vac_arrays(self) -> dict[str, np.ndarray]:
        if self._vfilter is None:
            self._vmemo = {}
            vs = list(self.vacancies.values())
            self._vfilter = {
                "id": np.array([v.id for v in vs], dtype=np.int64),
                "area": self._codes([v.area for v in vs]),
                "open": np.array([v.status == "open" for v in vs], dtype=bool),
                "offer": np.array([v.offer_type for v in vs], dtype=object),
                "lks": np.array([v.lks_suitable for v in vs], dtype=bool),
                "banen": np.array([v.banenafspraak for v in vs], dtype=bool),
            }
        return self._vfilter

    def allowed_candidates(
        self,
        *,
        areas: Sequence[str] | None = None,
        offer_type: str | None = None,
        require_consent: bool = False,
        only_active: bool = True,
        ladder_filter: bool = True,
    ) -> np.ndarray:
        """Ids of candidates passing the filters (a read-only array, the same object for the same filters)."""
        a = self._cand_arrays()
        key = (tuple(areas or ()), offer_type, require_consent, only_active, ladder_filter)
        if key in self._cmemo:
            return self._cmemo[key]
        mask = np.ones(len(a["id"]), dtype=bool)
        if areas:
            mask &= self._area_mask(a["area"], areas)
        if only_active:
            mask &= a["active"]
        if require_consent:
            mask &= a["consent"]
        if ladder_filter and offer_type:
            fits = np.array([offer_fits_ladder(offer_type, s) for s in range(7)])
            mask &= fits[np.clip(a["ladder"], 0, 6)]
        ids = a["id"][mask]
        ids.flags.writeable = False
        self._cmemo[key] = ids
        return ids

    def allowed_vacancies(
        self,
        *,
        areas: Sequence[str] | None = None,
        offer_types: Sequence[str] | None = None,
        ladder_step: int | None = None,
        only_open: bool = True,
        lks_only: bool = False,
        banenafspraak_only: bool = False,
    ) -> np.ndarray:
        """Ids of vacancies passing the filters (a read-only array, the same object for the same filters)."""
        a = self._vac_arrays()
        key = (tuple(areas or ()), tuple(offer_types or ()), ladder_step, only_open, lks_only, banenafspraak_only)
        if key in self._vmemo:
            return self._vmemo[key]
        mask = np.ones(len(a["id"]), dtype=bool)
        if areas:
            mask &= self._area_mask(a["area"], areas)
        if only_open:
            mask &= a["open"]
        if offer_types:
            mask &= np.isin(a["offer"], list(offer_types))
        if ladder_step is not None:
            mask &= np.array([offer_fits_ladder(o, ladder_step) for o in a["offer"]], dtype=bool)
        if lks_only:
            mask &= a["lks"]
        if banenafspraak_only:
            mask &= a["banen"]
        ids = a["id"][mask]
        ids.flags.writeable = False
        self._vmemo[key] = ids
        return ids

    # --------------------------------------------------------------------- scoring
    def _query(self, prep: _Prepared) -> np.ndarray:
        return self._combined(prep)

    def features(self, c: CandidateProfile, v: VacancyProfile, *, explain: bool = True) -> Features:
        """Similarities and skill coverage of one pair (``explain=False``: same numbers, no Dutch wording)."""
        cp, vp = self._cprep[c.id], self._vprep[v.id]
        assert cp.occ_mat is not None and vp.occ_mat is not None and cp.skill_mat is not None
        # Occupation: best pair of labels.
        if len(cp.occ_mat) and len(vp.occ_mat):
            sims = cp.occ_mat.astype(np.float64) @ vp.occ_mat.T.astype(np.float64)
            bi, bj = (int(x) for x in np.unravel_index(int(np.argmax(sims)), sims.shape))
            occ_sim, pair = float(sims[bi, bj]), (cp.occ_labels[bi], vp.occ_labels[bj])
        else:
            occ_sim, pair = 0.0, ("", vp.occ_labels[0] if vp.occ_labels else "")
        sim_all = (
            cp.skill_mat.astype(np.float64) @ vp.skill_mat.T.astype(np.float64)
            if len(cp.skill_mat) and vp.skill_mat is not None and len(vp.skill_mat)
            else None
        )
        best = sim_all.max(axis=0) if sim_all is not None else None
        if explain:
            pair = self._as_written(c, v, vp, pair)
        return self._assemble(c, v, cp, vp, occ_sim, pair, best, sim_all if explain else None)

    def _as_written(
        self, c: CandidateProfile, v: VacancyProfile, vp: _Prepared, pair: tuple[str, str]
    ) -> tuple[str, str]:
        """The occupations of an explanation as the profiles name them: a label the engine added (an ESCO
        preferred label) is shown as the label that resolved to it, and an exact ESCO match names the
        candidate's occupation that matched."""
        exact = next((o.label for o in c.desired_occupations if o.uri and o.uri in vp.occ_uris), None)
        if exact is not None:
            return exact, pair[1]

        def written(label: str, concepts: list[Concept], fallback: str) -> str:
            if not label or any(o.label == label for o in concepts):
                return label
            return next((o.label for o in concepts if o.uri and self._pref(o.uri) == label), fallback or label)

        vac_concepts = [v.occupation] if v.occupation else []
        return written(pair[0], c.desired_occupations, pair[0]), written(pair[1], vac_concepts, v.title)

    def _assemble(
        self,
        c: CandidateProfile,
        v: VacancyProfile,
        cp: _Prepared,
        vp: _Prepared,
        occ_sim: float,
        pair: tuple[str, str],
        best: np.ndarray | None,
        sim_all: np.ndarray | None,
    ) -> Features:
        """Features from the similarities; ``sim_all`` (for naming the similar skill) only when explaining."""
        assert cp.comp is not None and vp.comp is not None
        esco: float | None = None
        if vp.occ_uris and cp.occ_uris:
            if vp.occ_uris & cp.occ_uris:
                esco = 1.0
            elif vp.isco & cp.isco:
                esco = 0.5
            else:
                esco = 0.0
        # Skills: each required/wanted skill of the vacancy (in the order of vp.skill_labels).
        matches: list[SkillMatch] = []
        for j, (s, req) in enumerate([(s, True) for s in v.required_skills] + [(s, False) for s in v.nice_skills]):
            via = self._skill_via(cp, s, j, best, sim_all)
            matches.append(SkillMatch(s.label, bool(via), via, req))
        c_comp, v_comp = cp.comp.astype(np.float64), vp.comp.astype(np.float64)
        skills_sim = float(c_comp[1] @ v_comp[1]) if cp.skill_labels and vp.skill_labels else None
        return Features(occ_sim, pair, esco, skills_sim, float(c_comp[2] @ v_comp[2]), matches)

    def _skill_via(self, cp: _Prepared, s: Concept, j: int, best: np.ndarray | None, sim_all: np.ndarray | None) -> str:
        """How the candidate covers skill ``j`` of the vacancy, in Dutch ('' when not): the one rule for both
        the explanation and the score (``best``: the best similarity per vacancy skill; ``sim_all`` only to
        name the similar skill)."""
        if s.label.lower() in cp.skill_lower:
            return "genoemd in profiel"
        if s.uri and s.uri in cp.skill_uris:
            return "zelfde ESCO-vaardigheid in profiel"
        if best is not None and j < len(best) and best[j] >= self.config.skill_match_threshold:
            return f"lijkt op '{cp.skill_labels[int(np.argmax(sim_all[:, j]))]}'" if sim_all is not None else "lijkt op"
        if s.uri and s.uri in cp.essential:
            return f"hoort bij beroep '{cp.essential[s.uri]}'"
        return ""

    def _block(self, pairs: list[tuple[CandidateProfile, VacancyProfile]]) -> PairBlock:
        """The similarities of many pairs that share one side as arrays: one matrix product per kind of label
        and no wording (pairs that share no side are computed one by one)."""
        cps = [self._cprep[c.id] for c, _ in pairs]
        vps = [self._vprep[v.id] for _, v in pairs]
        one_vacancy = all(vp is vps[0] for vp in vps)
        if not pairs or (not one_vacancy and not all(cp is cps[0] for cp in cps)):
            return PairBlock.of([self.features(c, v, explain=False) for c, v in pairs])
        occ = self._best_blocks([p.occ_mat for p in cps], [p.occ_mat for p in vps], one_vacancy, reduce_all=True)
        skl = self._best_blocks([p.skill_mat for p in cps], [p.skill_mat for p in vps], one_vacancy, reduce_all=False)
        nan = float("nan")
        n = len(pairs)
        esco = np.full(n, nan)
        required = np.zeros(n, dtype=np.int64)
        matched = np.zeros(n, dtype=np.int64)
        for i, ((_, v), cp, vp, best) in enumerate(zip(pairs, cps, vps, skl, strict=True)):
            if vp.occ_uris and cp.occ_uris:
                esco[i] = 1.0 if vp.occ_uris & cp.occ_uris else 0.5 if vp.isco & cp.isco else 0.0
            req = v.required_skills
            required[i] = len(req)
            matched[i] = sum(1 for j, s in enumerate(req) if self._skill_via(cp, s, j, best, None))
        # Cosines of the skill texts and of the full texts, in float64 like ``features``.
        fixed, varying = (vps[0], cps) if one_vacancy else (cps[0], vps)
        assert fixed.comp is not None
        rows = np.stack([p.comp for p in varying])[:, 1:].astype(np.float64)  # type: ignore[misc]
        dots = np.einsum("nkd,kd->nk", rows, fixed.comp[1:].astype(np.float64))
        has_skills = np.array([bool(cp.skill_labels and vp.skill_labels) for cp, vp in zip(cps, vps, strict=True)])
        return PairBlock(
            np.array([0.0 if o is None else float(o) for o in occ], dtype=np.float64),
            esco,
            required,
            matched,
            np.where(has_skills, dots[:, 0], nan),
            dots[:, 1],
        )

    @staticmethod
    def _best_blocks(
        c_mats: list[np.ndarray | None], v_mats: list[np.ndarray | None], one_vacancy: bool, reduce_all: bool
    ) -> list[Any]:
        """Per pair: the best similarity (``reduce_all``) or the best per vacancy row; None when a side is empty."""
        fixed, varying = (v_mats[0], c_mats) if one_vacancy else (c_mats[0], v_mats)
        out: list[Any] = [None] * len(varying)
        keep = [i for i, m in enumerate(varying) if m is not None and len(m)]
        if fixed is None or not len(fixed) or not keep:
            return out
        blocks: list[np.ndarray] = [m for m in varying if m is not None and len(m)]
        # [rows of the varying side, rows of the fixed side], in float64 like ``features`` (the same scores)
        sims = np.concatenate(blocks).astype(np.float64) @ fixed.T.astype(np.float64)
        bounds = np.cumsum([0] + [len(b) for b in blocks])
        if reduce_all or not one_vacancy:  # a value per row of the varying side is what is needed
            rows = sims.max(axis=1)
            for k, i in enumerate(keep):
                seg = rows[bounds[k] : bounds[k + 1]]
                out[i] = seg.max() if reduce_all else seg
            return out
        per = np.maximum.reduceat(sims, bounds[:-1], axis=0)  # best candidate row per vacancy row
        for k, i in enumerate(keep):
            out[i] = per[k]
        return out

    def pair(self, candidate_id: int, vacancy_id: int) -> MatchResult:
        """Score and explain one pair."""
        c, v = self.candidates[candidate_id], self.vacancies[vacancy_id]
        return score(c, v, self.features(c, v), self.config, self.today())

    def _rerank(
        self,
        pairs: list[tuple[CandidateProfile, VacancyProfile]],
        sims: np.ndarray,
        k: int,
        min_score: float,
        include_ineligible: bool,
        explain: bool = True,
    ) -> list[MatchResult]:
        """Score every pair without wording, then explain only the k that are returned (same scores);
        ``explain=False`` returns the k with their score and eligibility only (no components, no wording).

        Equal scores (often 0 far down a list) are ordered by the retrieval similarity, then by id.
        """
        today, cfg = self.today(), self.config
        cs, vs = [c for c, _ in pairs], [v for _, v in pairs]
        scores, eligible = score_block(cs, vs, self._block(pairs), cfg, today)
        keep = [
            (scores[i], bool(eligible[i]), float(sims[i]), cs[i].id, vs[i].id)
            for i in range(len(pairs))
            if (eligible[i] or include_ineligible) and scores[i] >= min_score
        ]
        keep.sort(key=lambda x: (not x[1], -x[0], -x[2], x[3], x[4]))
        if not explain:
            return [MatchResult(cid, vid, sc, {}, [], [], [], ok) for sc, ok, _, cid, vid in keep[:k]]
        out = []
        for _, _, _, cid, vid in keep[:k]:
            c, v = self.candidates[cid], self.vacancies[vid]
            out.append(score(c, v, self.features(c, v), cfg, today))
        return out

    def rank_candidates(
        self,
        vacancy_id: int,
        *,
        k: int = 20,
        areas: Sequence[str] | None = None,
        min_score: float = 0.0,
        require_consent: bool = False,
        ladder_filter: bool = True,
        include_ineligible: bool = False,
        allowed: np.ndarray | None = None,
        explain: bool = True,
    ) -> list[MatchResult]:
        """Best candidates for a vacancy, within the gebieden given (None: whole city); ``explain=False``:
        scores and eligibility only (for counting and bulk work; ``pair`` explains one later, same score)."""
        v = self.vacancies[vacancy_id]
        ids = self.allowed_candidates(
            areas=areas, offer_type=v.offer_type, require_consent=require_consent, ladder_filter=ladder_filter
        )
        if allowed is not None:
            ids = np.intersect1d(ids, allowed)
        q = self._query(self._vprep[vacancy_id])
        found, sims = self.cand_index.search(q, max(k * 4, self.config.retrieve), allowed=ids)
        pairs = [(self.candidates[int(i)], v) for i in found]
        return self._rerank(pairs, sims, k, min_score, include_ineligible, explain)

    def rank_vacancies(
        self,
        candidate_id: int,
        *,
        k: int = 20,
        areas: Sequence[str] | None = None,
        min_score: float = 0.0,
        offer_types: Sequence[str] | None = None,
        ladder_filter: bool = True,
        lks_only: bool = False,
        banenafspraak_only: bool = False,
        include_ineligible: bool = False,
        allowed: np.ndarray | None = None,
        explain: bool = True,
    ) -> list[MatchResult]:
        """Best vacancies for a candidate (``explain=False``: scores and eligibility only)."""
        c = self.candidates[candidate_id]
        ids = self.allowed_vacancies(
            areas=areas,
            offer_types=offer_types,
            ladder_step=c.ladder_step if ladder_filter else None,
            lks_only=lks_only,
            banenafspraak_only=banenafspraak_only,
        )
        if allowed is not None:
            ids = np.intersect1d(ids, allowed)
        q = self._query(self._cprep[candidate_id])
        found, sims = self.vac_index.search(q, max(k * 4, self.config.retrieve), allowed=ids)
        pairs = [(c, self.vacancies[int(i)]) for i in found]
        return self._rerank(pairs, sims, k, min_score, include_ineligible, explain)

    def encode_query(self, text: str) -> np.ndarray:
        """The vector of a free-text search query (the one encoding a request may do; no lock needed)."""
        q: np.ndarray = self.embedder.encode([text], kind="query")[0]
        return q

    def _search(self, index: VectorIndex, text: str | np.ndarray, k: int, allowed: np.ndarray) -> list[SearchHit]:
        q = self.encode_query(text) if isinstance(text, str) else text
        ids, scores = index.search(q, k, allowed=allowed)
        return [
            SearchHit(int(i), round(100 * self.config.calibrate(float(s)), 1)) for i, s in zip(ids, scores, strict=True)
        ]

    def search_candidates(
        self,
        text: str | np.ndarray,
        *,
        k: int = 20,
        areas: Sequence[str] | None = None,
        allowed: np.ndarray | None = None,
    ) -> list[SearchHit]:
        """Free-text search over active candidates (within ``allowed`` ids when given)."""
        ids = self.allowed_candidates(areas=areas)
        if allowed is not None:
            ids = np.intersect1d(ids, allowed)
        return self._search(self.cand_index, text, k, ids)

    def search_vacancies(
        self, text: str | np.ndarray, *, k: int = 20, areas: Sequence[str] | None = None
    ) -> list[SearchHit]:
        """Free-text search over open vacancies."""
        return self._search(self.vac_index, text, k, self.allowed_vacancies(areas=areas))
