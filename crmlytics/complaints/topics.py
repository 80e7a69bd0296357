"""Keywords and topics of complaint descriptions, Chinese and English mixed in one column.

Terms (:class:`TermAnalyzer`): English words of three or more letters (lower case, English stop
words dropped) and Chinese words from jieba's dictionary segmentation of every run of Chinese
characters (``快递延误`` gives ``快递``, ``延误``), in jieba's precise mode without its HMM
guesser. Characters the dictionary does not join into a word are handled by one rule: a run of
two or more of them is kept as one term (an out-of-dictionary word such as a defect, ``漏液``), a
lone one is dropped (mostly particles and verbs of one character: ``的``, ``了``, ``就``). Words
of the business the dictionary lacks (``质量问题``, product names) are kept whole when listed in
``complaints.topic_words``. jieba is imported, and its dictionary loaded (about a second, cached
on disk by jieba), only when a Chinese text is first segmented.
Topics: non-negative matrix factorisation (scikit-learn NMF) of the TF-IDF matrix.

The texts come from the warehouse as of a date (:func:`complaint_texts`, Ibis); the text work is
in-memory on those rows.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.complaints.durations import visible_complaints
from crmlytics.errors import ConfigError, DataError
from crmlytics.workspace import Workspace

_ENGLISH = re.compile(r"[a-z]{3,}")
_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
#: Segmented Chinese runs remembered per analyzer (complaint texts repeat their phrases).
_MEMO_LIMIT = 500_000


@functools.lru_cache(maxsize=8)
def _tokenizer(words: tuple[str, ...]) -> Any:
    """A jieba tokenizer of its default dictionary plus ``words``, quiet (jieba logs the
    dictionary load to stderr at INFO level)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        tokenizer.add_word(word)
    return tokenizer


class TermAnalyzer:
    """The terms of one description (callable, the ``analyzer`` of scikit-learn vectorisers).

    Parameters
    ----------
    words : Chinese words the segmenter keeps whole besides its dictionary
        (``complaints.topic_words``).
    """

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = tuple(sorted({w.strip() for w in words if w and w.strip()}))
        self._memo: dict[str, list[str]] = {}

    def chinese(self, run: str) -> list[str]:
        """The terms of one run of Chinese characters (rule in the module docstring)."""
        found = self._memo.get(run)
        if found is not None:
            return found
        out: list[str] = []
        loose = ""
        for token in _tokenizer(self.words).lcut(run, HMM=False):
            if len(token) == 1:
                loose += token
                continue
            if len(loose) > 1:
                out.append(loose)
            loose = ""
            out.append(token)
        if len(loose) > 1:
            out.append(loose)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[run] = out
        return out

    def __call__(self, text: str | None) -> list[str]:
        if not isinstance(text, str):
            return []
        lower = text.lower()
        out = [w for w in _ENGLISH.findall(lower) if w not in ENGLISH_STOP_WORDS]
        for run in _CHINESE.findall(lower):
            out.extend(self.chinese(run))
        return out


@functools.lru_cache(maxsize=8)
def analyzer(words: tuple[str, ...] = ()) -> TermAnalyzer:
    """The shared :class:`TermAnalyzer` for ``words`` (its memory of runs is reused)."""
    return TermAnalyzer(words)


def terms(text: str | None, words: Sequence[str] = ()) -> list[str]:
    """The terms of one description: English words (3+ letters, no stop words) and Chinese
    words (jieba, plus ``words``; rule in the module docstring)."""
    return analyzer(tuple(words))(text)


def complaint_texts(
    ws: Workspace, as_of: str | _dt.date | _dt.datetime | AsOf | None = None
) -> ir.Table:
    """``complaint_id``, ``category``, ``month``, ``description`` of complaints opened at or
    before ``as_of`` with a description."""
    c = visible_complaints(ws, resolve_as_of(as_of))
    c = c.filter(c.description.notnull() & (c.description.strip() != ""))
    return c.select("complaint_id", "category", "month", "description")


def _documents(texts: Iterable[str | None], terms_of: TermAnalyzer) -> list[str | None]:
    docs = list(texts)
    if not any(terms_of(t) for t in docs):
        raise DataError("no complaint description has a word to analyse")
    return docs


def category_terms(
    texts: Sequence[str | None],
    categories: Sequence[str | None],
    top: int = 10,
    *,
    words: Sequence[str] = (),
) -> pd.DataFrame:
    """The terms that mark each recorded category, best first (``words``: Chinese words kept
    whole, :class:`TermAnalyzer`).

    For term t and category c, with ``share_in`` the share of c's descriptions containing t and
    ``share_out`` that of the other descriptions, the score is ``share_in × ln((share_in + ε) /
    (share_out + ε))`` (ε = 1 / number of descriptions): frequent in c and rare elsewhere.
    Returns ``category, rank, term, share_in, share_out, score`` (top ``top`` per category).
    """
    frame = pd.DataFrame({"text": list(texts), "category": list(categories)})
    frame = frame[frame["category"].notna()]
    terms_of = analyzer(tuple(words))
    docs = _documents(frame["text"], terms_of)
    vec = CountVectorizer(analyzer=terms_of, binary=True)
    x = vec.fit_transform(docs).tocsc()
    names = vec.get_feature_names_out()
    cats = frame["category"].to_numpy()
    eps = 1.0 / max(len(docs), 1)
    rows = []
    for cat in sorted(set(cats)):
        mask = cats == cat
        share_in = np.asarray(x[mask].mean(axis=0)).ravel()
        share_out = (
            np.asarray(x[~mask].mean(axis=0)).ravel() if (~mask).any() else np.zeros_like(share_in)
        )
        score = share_in * np.log((share_in + eps) / (share_out + eps))
        order = np.lexsort((names, -score))[:top]
        for rank, j in enumerate(order, start=1):
            if score[j] <= 0:
                break
            rows.append((cat, rank, names[j], share_in[j], share_out[j], score[j]))
    return pd.DataFrame(
        rows, columns=["category", "rank", "term", "share_in", "share_out", "score"]
    )


@dataclass(frozen=True)
class Topics:
    """A fitted topic model (:func:`fit_topics`): ``terms`` (topic, rank, term, weight),
    ``topic_of`` (the main topic of each description, -1 without terms), the vectoriser and
    the NMF model."""

    terms: pd.DataFrame
    topic_of: np.ndarray
    vectorizer: TfidfVectorizer
    model: NMF


def fit_topics(
    texts: Sequence[str | None],
    n_topics: int = 8,
    top: int = 10,
    random_state: int = 0,
    *,
    words: Sequence[str] = (),
) -> Topics:
    """NMF topics of TF-IDF of :func:`terms` (deterministic for a ``random_state``;
    ``words``: Chinese words kept whole)."""
    if isinstance(n_topics, bool) or not isinstance(n_topics, int) or n_topics < 1:
        raise ConfigError(f"n_topics must be a whole number >= 1, not {n_topics!r}")
    terms_of = analyzer(tuple(words))
    docs = _documents(texts, terms_of)
    vec = TfidfVectorizer(analyzer=terms_of, sublinear_tf=True, min_df=2 if len(docs) > 50 else 1)
    x = vec.fit_transform(docs)
    if n_topics > min(x.shape):
        raise DataError(f"{n_topics} topics need at least as many descriptions and terms")
    model = NMF(n_components=n_topics, init="nndsvda", random_state=random_state, max_iter=400)
    weights = model.fit_transform(x)
    names = vec.get_feature_names_out()
    rows = []
    for k, comp in enumerate(model.components_):
        for rank, j in enumerate(np.lexsort((names, -comp))[:top], start=1):
            rows.append((k, rank, names[j], float(comp[j])))
    topic_of = np.where(weights.sum(axis=1) > 0, weights.argmax(axis=1), -1)
    return Topics(
        terms=pd.DataFrame(rows, columns=["topic", "rank", "term", "weight"]),
        topic_of=topic_of,
        vectorizer=vec,
        model=model,
    )


def topic_alignment(topic_of: Sequence[int], categories: Sequence[str | None]) -> pd.DataFrame:
    """How well topics line up with the recorded categories: per topic, its ``descriptions``,
    ``main_category`` and ``purity`` (share of its descriptions in that category), plus the
    ``adjusted_rand`` index of topics against categories (1 = identical partitions, 0 = chance)
    on every row. Descriptions without a category or without terms are left out."""
    frame = pd.DataFrame({"topic": list(topic_of), "category": list(categories)})
    frame = frame[frame["category"].notna() & (frame["topic"] >= 0)]
    if frame.empty:
        raise DataError("no described complaint has a category to compare topics with")
    table = pd.crosstab(frame["topic"], frame["category"])
    out = pd.DataFrame(
        {
            "topic": table.index,
            "descriptions": table.sum(axis=1).to_numpy(),
            "main_category": table.idxmax(axis=1).to_numpy(),
            "purity": (table.max(axis=1) / table.sum(axis=1)).to_numpy(),
        }
    )
    out["adjusted_rand"] = adjusted_rand_score(frame["category"], frame["topic"])
    return out.reset_index(drop=True)


def suggest_categories(
    texts: Sequence[str | None],
    categories: Sequence[str | None],
    *,
    words: Sequence[str] = (),
) -> pd.DataFrame:
    """A suggested category for each description without one: the recorded category whose
    TF-IDF centroid is closest (cosine). Returns ``position`` (index in the input),
    ``suggested_category``, ``similarity`` (0-1); rows whose text has no known term get none."""
    cats = pd.Series(list(categories), dtype=object)
    terms_of = analyzer(tuple(words))
    docs = _documents(texts, terms_of)
    known = cats.notna().to_numpy()
    if not known.any():
        raise DataError("no complaint has a category to learn suggestions from")
    vec = TfidfVectorizer(analyzer=terms_of, sublinear_tf=True)
    x = vec.fit_transform(docs)
    labels = sorted(set(cats[known]))
    centroids = np.vstack(
        [np.asarray(x[(cats == c).to_numpy()].mean(axis=0)).ravel() for c in labels]
    )
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    todo = np.flatnonzero(~known)
    sims = x[todo] @ centroids.T
    sims = np.asarray(sims)
    best = sims.argmax(axis=1) if len(todo) else np.array([], dtype=int)
    score = sims.max(axis=1) if len(todo) else np.array([])
    return pd.DataFrame(
        {
            "position": todo,
            "suggested_category": [
                labels[b] if s > 0 else None for b, s in zip(best, score, strict=True)
            ],
            "similarity": score,
        }
    )


def rising_terms(
    texts: Sequence[str | None],
    months: Sequence[object],
    top: int = 10,
    min_count: int = 3,
    *,
    words: Sequence[str] = (),
) -> pd.DataFrame:
    """Terms used more in the latest month than before: ``term``, ``latest_share`` and
    ``earlier_share`` (shares of descriptions containing the term), ``ratio`` =
    (latest + ε) / (earlier + ε) with ε = 1 / descriptions; terms in at least ``min_count``
    latest descriptions, best ``top`` by ratio."""
    frame = pd.DataFrame({"text": list(texts), "month": pd.to_datetime(list(months))})
    latest = frame["month"].max()
    terms_of = analyzer(tuple(words))
    docs = _documents(frame["text"], terms_of)
    vec = CountVectorizer(analyzer=terms_of, binary=True)
    x = vec.fit_transform(docs).tocsc()
    names = vec.get_feature_names_out()
    mask = (frame["month"] == latest).to_numpy()
    if mask.all():
        raise DataError("rising terms need descriptions from more than one month")
    counts = np.asarray(x[mask].sum(axis=0)).ravel()
    now = counts / mask.sum()
    before = np.asarray(x[~mask].mean(axis=0)).ravel()
    eps = 1.0 / len(docs)
    ratio = (now + eps) / (before + eps)
    keep = np.flatnonzero((counts >= min_count) & (ratio > 1))
    order = keep[np.lexsort((names[keep], -ratio[keep]))][:top]
    return pd.DataFrame(
        {
            "term": names[order],
            "latest_share": now[order],
            "earlier_share": before[order],
            "ratio": ratio[order],
        }
    )
