"""Search over the help centre's articles that tolerates typos and word forms.

Both languages of an article are searched, whatever the page language, so a
German question finds the article even on the English page (and the other way
round).

- Fuzzy matching (every database): titles, keywords and texts are cut into
  words, umlauts spelled out ("ae"), common German and English endings
  stripped ("Rechnungen" -> "rechnung", "payments" -> "payment"), filler words
  dropped; a word of the question matches an article word exactly, as part of
  a compound ("zaehler" in "zaehlerstand") or when it is spelled nearly the
  same (difflib, "Zählerstnad" ~ "Zählerstand"). Title and keyword matches
  count more than text matches, words found in many articles less.
- PostgreSQL adds its full-text search with the 'german' (and 'english')
  configuration: SearchVector over title, keywords and text, SearchQuery of
  the question's words, SearchRank; the rank is added to the fuzzy score, so
  PostgreSQL's stemming and stop words help while a typo still finds its article.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import QuerySet

from support.classifier import normalise
from support.models import FaqArticle

# How much a match in each part of an article counts.
FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.5, "body": 1.0}
# Similarity: exact word 1.0; compound part 0.7; near spelling its difflib ratio (>= FUZZY_CUTOFF).
COMPOUND_SIMILARITY = 0.7
FUZZY_CUTOFF = 0.78
MIN_COMPOUND_PART = 5
# What PostgreSQL's rank (0..1) adds to the fuzzy score.
RANK_WEIGHT = 4.0
# An article below this score is not a hit.
MIN_SCORE = 0.9

STOPWORDS = {
    # German
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "ein",
    "eine",
    "einen",
    "einem",
    "einer",
    "eines",
    "und",
    "oder",
    "ich",
    "mich",
    "mir",
    "mein",
    "meine",
    "meinen",
    "meinem",
    "meiner",
    "du",
    "dein",
    "sie",
    "ihr",
    "ihre",
    "ihren",
    "ihnen",
    "wir",
    "uns",
    "unser",
    "es",
    "er",
    "ist",
    "sind",
    "bin",
    "war",
    "wird",
    "werden",
    "wurde",
    "hat",
    "habe",
    "haben",
    "hab",
    "kann",
    "koennen",
    "muss",
    "muessen",
    "soll",
    "will",
    "moechte",
    "wie",
    "was",
    "wann",
    "wo",
    "warum",
    "wer",
    "welche",
    "welcher",
    "welches",
    "wieviel",
    "viel",
    "hoch",
    "noch",
    "schon",
    "nicht",
    "kein",
    "keine",
    "mit",
    "von",
    "vom",
    "zu",
    "zum",
    "zur",
    "im",
    "in",
    "an",
    "am",
    "auf",
    "aus",
    "bei",
    "fuer",
    "ueber",
    "um",
    "bis",
    "nach",
    "vor",
    "als",
    "auch",
    "so",
    "da",
    "dass",
    "wenn",
    "bitte",
    "gibt",
    "man",
    "sich",
    "doch",
    "mal",
    "denn",
    "nur",
    "jetzt",
    "hier",
    "dann",
    # English
    "the",
    "a",
    "and",
    "or",
    "i",
    "me",
    "my",
    "mine",
    "you",
    "your",
    "we",
    "our",
    "it",
    "its",
    "is",
    "are",
    "be",
    "been",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "can",
    "could",
    "should",
    "would",
    "what",
    "when",
    "where",
    "why",
    "who",
    "which",
    "how",
    "much",
    "many",
    "to",
    "of",
    "on",
    "at",
    "for",
    "from",
    "by",
    "with",
    "about",
    "not",
    "no",
    "this",
    "that",
    "there",
    "please",
    "get",
    "if",
}
SUFFIXES = ("ungen", "ern", "en", "er", "es", "em", "e", "n", "s", "ing", "ed", "ly")
MIN_STEM = 4
WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """A plain suffix strip: the longest listed ending that leaves at least MIN_STEM letters."""
    if word.endswith("ungen") and len(word) - 2 >= MIN_STEM:
        return word[:-2]
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    return [stem(word) for word in WORD.findall(normalise(text)) if word not in STOPWORDS and len(word) > 1]


@dataclass(frozen=True)
class SearchHit:
    article: FaqArticle
    score: float


def published_articles() -> QuerySet[FaqArticle]:
    return FaqArticle.objects.filter(is_published=True).select_related("category")


def _fields(article: FaqArticle) -> dict[str, set[str]]:
    return {
        "title": set(tokens(f"{article.title_de} {article.title_en}")),
        "keywords": set(tokens(f"{article.keywords_de} {article.keywords_en}")),
        "body": set(tokens(f"{article.body_de} {article.body_en}")),
    }


def _similarities(word: str, vocabulary: list[str]) -> dict[str, float]:
    """Article words that match `word`, with how well."""
    found: dict[str, float] = {}
    if word in vocabulary:
        found[word] = 1.0
    if len(word) >= MIN_COMPOUND_PART:
        for candidate in vocabulary:
            if candidate != word and (word in candidate or (len(candidate) >= MIN_COMPOUND_PART and candidate in word)):
                found[candidate] = max(found.get(candidate, 0.0), COMPOUND_SIMILARITY)
    if len(word) >= MIN_STEM:
        matcher = difflib.SequenceMatcher(b=word)
        for candidate in vocabulary:
            if candidate in found or abs(len(candidate) - len(word)) > 3:
                continue
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() >= FUZZY_CUTOFF and matcher.quick_ratio() >= FUZZY_CUTOFF:
                ratio = matcher.ratio()
                if ratio >= FUZZY_CUTOFF:
                    found[candidate] = ratio
    return found


def _fuzzy_scores(query: str, articles: list[FaqArticle]) -> dict[int, float]:
    words = list(dict.fromkeys(tokens(query)))
    if not words or not articles:
        return {}
    fields = {article.pk: _fields(article) for article in articles}
    document_frequency: dict[str, int] = defaultdict(int)
    for parts in fields.values():
        for word in set().union(*parts.values()):
            document_frequency[word] += 1
    vocabulary = sorted(document_frequency)
    total = len(articles)
    scores: dict[int, float] = defaultdict(float)
    for word in words:
        matches = _similarities(word, vocabulary)
        if not matches:
            continue
        for pk, parts in fields.items():
            best = 0.0
            for name, present in parts.items():
                for candidate, similarity in matches.items():
                    if candidate in present:
                        rarity = math.log(1 + total / document_frequency[candidate])
                        best = max(best, FIELD_WEIGHTS[name] * similarity * rarity)
            scores[pk] += best
    return dict(scores)


def _postgres_ranks(query: str, articles: QuerySet[FaqArticle]) -> dict[int, float]:
    words = [word for word in re.findall(r"\w+", query.lower()) if len(word) > 1]
    if not words:
        return {}
    search = None
    for word in words:
        for config in ("german", "english"):
            part = SearchQuery(word, config=config)
            search = part if search is None else search | part
    vector = (
        SearchVector("title_de", weight="A", config="german")
        + SearchVector("keywords_de", weight="A", config="german")
        + SearchVector("body_de", weight="C", config="german")
        + SearchVector("title_en", weight="A", config="english")
        + SearchVector("keywords_en", weight="A", config="english")
        + SearchVector("body_en", weight="C", config="english")
    )
    rows = (
        articles.annotate(search=vector, rank=SearchRank(vector, search))
        .filter(search=search)
        .values_list("pk", "rank")
    )
    return {pk: float(rank) for pk, rank in rows}


def faq_search(*, query: str, limit: int = 5) -> list[SearchHit]:
    """The published articles that best answer `query`, best first."""
    query = (query or "").strip()[:500]
    if not query:
        return []
    queryset = published_articles()
    articles = list(queryset.order_by("id"))
    scores = _fuzzy_scores(query, articles)
    if connection.vendor == "postgresql":
        for pk, rank in _postgres_ranks(query, queryset).items():
            scores[pk] = scores.get(pk, 0.0) + RANK_WEIGHT * rank
    by_pk = {article.pk: article for article in articles}
    ranked = sorted(
        (SearchHit(by_pk[pk], score) for pk, score in scores.items() if score >= MIN_SCORE),
        key=lambda hit: (-hit.score, hit.article.pk),
    )
    return ranked[:limit]
