"""The help centre search finds the right article despite typos and word
forms, on whichever database the tests run (SQLite here, PostgreSQL in CI)."""

import pytest

from support.knowledge import faq_search, stem, tokens
from support.models import FaqArticle
from support.services.faq_seed import faq_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    faq_seed()


def first_slug(query: str) -> str | None:
    hits = faq_search(query=query)
    return hits[0].article.slug if hits else None


def test_word_endings_are_stripped_and_umlauts_spelled_out():
    assert stem("rechnungen") == "rechnung"
    assert stem("payments") == "payment"
    assert tokens("Wie hoch sind die Abschläge?") == ["abschlaeg"]


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("Zählerstand mitteilen", "submit-meter-reading"),
        ("Bankverbindung ändern", "bank-details-change"),
        ("Stromausfall", "outage-what-to-do"),
        ("how do I change my bank details", "bank-details-change"),
        ("SEPA Mandat", "sepa-mandate"),
        ("Schlichtungsstelle", "complaints-and-arbitration"),
    ],
)
def test_plain_questions_find_their_article(articles, query, slug):
    assert first_slug(query) == slug


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("Zählerstnad eingebn", "submit-meter-reading"),
        ("Bankverbindnug", "bank-details-change"),
        ("Stromausfal", "outage-what-to-do"),
        ("Schlusrechnung", "final-bill-after-moving"),
        ("mahnnung bekommen", "reminder-received"),
        ("instalmnet change", "change-instalment"),
    ],
)
def test_typos_still_find_the_article(articles, query, slug):
    assert first_slug(query) == slug


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("Zählerstände", "submit-meter-reading"),
        ("Abschläge anpassen", "change-instalment"),
        ("Preiserhöhungen", "price-change"),
        ("moving homes", "moving-house"),
        ("Ratenzahlungen", "payment-difficulties"),
    ],
)
def test_other_word_forms_find_the_article(articles, query, slug):
    assert slug in [hit.article.slug for hit in faq_search(query=query, limit=3)]


def test_nonsense_and_empty_questions_find_nothing(articles):
    assert faq_search(query="") == []
    assert faq_search(query="   ") == []
    assert faq_search(query="xylophon quadrokopter") == []


def test_unpublished_articles_are_not_found(articles):
    FaqArticle.objects.filter(slug="sepa-mandate").update(is_published=False)

    assert "sepa-mandate" not in [hit.article.slug for hit in faq_search(query="SEPA Mandat")]


def test_seeding_twice_changes_nothing_and_keeps_edits(articles):
    FaqArticle.objects.filter(slug="sepa-mandate").update(title_en="Edited by an agent")

    assert faq_seed() == 0

    assert FaqArticle.objects.get(slug="sepa-mandate").title_en == "Edited by an agent"
    assert FaqArticle.objects.count() >= 15
