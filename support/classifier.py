"""What a customer's question is about: its intent (what they want: their
balance, a read form, a person …) and its topic (which team handles it).

Rules catch the obvious cases first ("Beschwerde", "complaint", "talk to a
person"); everything else goes to a scikit-learn text classifier trained on
the labelled example questions in support/data/questions.csv (German and
English): TF-IDF over character n-grams (typos, word forms, compounds) and
word n-grams, then a linear support vector machine. A question far from
every intent the model knows counts as "other", so a routine answer is not
given on a wild guess.

The trained model is stored with joblib at settings.SUPPORT_MODEL_PATH
(default var/models/support-classifier.joblib), loaded on first use and
trained then if it is missing or was trained on other examples; the
`train_classifier` command retrains it and reports its accuracy.
"""

from __future__ import annotations

import csv
import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from support.models import Topic

QUESTIONS_PATH = Path(__file__).resolve().parent / "data" / "questions.csv"
# Below this decision score (one-vs-rest margin) the model's intent is not trusted: the question is "other".
MIN_SCORE = -0.5
MODEL_FORMAT = 1


class Intent(models.TextChoices):
    BALANCE = "balance", _("current balance")
    NEXT_DUE_DATE = "next_due_date", _("next due date")
    LAST_PAYMENT = "last_payment", _("last payment")
    NEXT_BILL = "next_bill", _("next bill")
    LAST_READS = "last_reads", _("last meter readings")
    SUBMIT_READ = "submit_read", _("submit a meter reading")
    TARIFF_PRICES = "tariff_prices", _("tariff and prices")
    OUTAGE = "outage", _("outage")
    CHANGE_BANK_DETAILS = "change_bank_details", _("change bank details")
    COMPLAINT = "complaint", _("complaint")
    BILLING_DISPUTE = "billing_dispute", _("billing dispute")
    MOVE = "move", _("moving home")
    PAYMENT_PLAN = "payment_plan", _("payment plan")
    TALK_TO_PERSON = "talk_to_person", _("talk to a person")
    OTHER = "other", _("other question")


@dataclass(frozen=True)
class Classification:
    intent: str
    topic: str
    score: float  # the model's decision score for the intent (rules: 1.0)
    by_rule: bool


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    intent: str
    topic: str


@dataclass(frozen=True)
class TrainingReport:
    examples: int
    train_size: int
    test_size: int
    accuracy: float
    topic_accuracy: float
    report: str
    path: Path


def normalise(text: str) -> str:
    """Lower case, umlauts and ß spelled out (so "Abschlaege" = "Abschläge"), single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    return " ".join(text.split())


# --- rules for the obvious cases ----------------------------------------------------------------------------------

RULES: list[tuple[str, re.Pattern[str]]] = [
    (Intent.COMPLAINT, re.compile(r"\b(beschwer|beschwaer|reklamation|complain)")),
    (
        Intent.TALK_TO_PERSON,
        re.compile(
            r"\b(mensch(en)?|human|rueckruf|callback|call me( back)?|ruf(en sie)? mich (zu)?rueck)\b"
            r"|\bmit (einem|einer|jemandem|ihrem|einem echten) ?(mitarbeiter|mitarbeiterin|berater|beraterin|"
            r"sachbearbeiter|sachbearbeiterin|person)\b"
            r"|\b(talk|speak|chat) (to|with) (a |an |someone|somebody|a real |your )?"
            r"(person|human|agent|someone|somebody|advisor|adviser|staff)"
            r"|^(agent|mitarbeiter|sachbearbeiter)( bitte| please)?[.!?]*$"
        ),
    ),
]


def rule_intent(text: str) -> str | None:
    normalised = normalise(text)
    for intent, pattern in RULES:
        if pattern.search(normalised):
            return intent
    return None


# --- training data and model --------------------------------------------------------------------------------------


def load_examples(path: Path = QUESTIONS_PATH) -> list[Example]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Example(text=row["text"], language=row["language"], intent=row["intent"], topic=row["topic"])
            for row in csv.DictReader(handle)
        ]


def _pipeline(*, seed: int):
    # scikit-learn loads slowly: imported when a model is built, not with the URLs.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(preprocessor=normalise, analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
            ),
            ("words", TfidfVectorizer(preprocessor=normalise, ngram_range=(1, 2), sublinear_tf=True)),
        ]
    )
    return Pipeline([("features", features), ("model", LinearSVC(class_weight="balanced", random_state=seed))])


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_path() -> Path:
    configured = getattr(settings, "SUPPORT_MODEL_PATH", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "models" / "support-classifier.joblib"


def classifier_train(*, test_size: float = 0.2, seed: int = 7, data_path: Path = QUESTIONS_PATH) -> TrainingReport:
    """Measure the classifier on a held-out part of the examples (stratified
    by intent), then train it on all examples and store it."""
    import joblib
    from sklearn.metrics import accuracy_score, classification_report
    from sklearn.model_selection import train_test_split

    examples = load_examples(data_path)
    texts = [example.text for example in examples]
    intents = [example.intent for example in examples]
    topics = [example.topic for example in examples]
    train_x, test_x, train_intents, test_intents, train_topics, test_topics = train_test_split(
        texts, intents, topics, test_size=test_size, random_state=seed, stratify=intents
    )
    intent_model = _pipeline(seed=seed).fit(train_x, train_intents)
    topic_model = _pipeline(seed=seed).fit(train_x, train_topics)
    predicted = intent_model.predict(test_x)
    accuracy = float(accuracy_score(test_intents, predicted))
    topic_accuracy = float(accuracy_score(test_topics, topic_model.predict(test_x)))
    report = classification_report(test_intents, predicted, zero_division=0)

    bundle = {
        "format": MODEL_FORMAT,
        "fingerprint": _fingerprint(data_path),
        "intent": _pipeline(seed=seed).fit(texts, intents),
        "topic": _pipeline(seed=seed).fit(texts, topics),
    }
    path = model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    joblib.dump(bundle, temporary)
    temporary.replace(path)
    _loaded.clear()
    return TrainingReport(
        examples=len(examples),
        train_size=len(train_x),
        test_size=len(test_x),
        accuracy=accuracy,
        topic_accuracy=topic_accuracy,
        report=report,
        path=path,
    )


_loaded: dict[Path, dict] = {}
_lock = threading.Lock()


def _model() -> dict:
    """The stored model, trained now if it is missing, unreadable or trained on other examples."""
    import joblib

    path = model_path()
    with _lock:
        if path in _loaded:
            return _loaded[path]
        bundle = None
        if path.exists():
            try:
                bundle = joblib.load(path)
            except (OSError, EOFError, ValueError, KeyError, AttributeError, ImportError):
                bundle = None
        if (
            not isinstance(bundle, dict)
            or bundle.get("format") != MODEL_FORMAT
            or bundle.get("fingerprint") != _fingerprint(QUESTIONS_PATH)
        ):
            classifier_train()
            bundle = joblib.load(path)
        _loaded[path] = bundle
        return bundle


def classify(text: str) -> Classification:
    """The intent and topic of a question: a rule when one fits, else the model."""
    bundle = _model()
    topic_model = bundle["topic"]
    topic = str(topic_model.predict([text])[0])
    rule = rule_intent(text)
    if rule is not None:
        if rule == Intent.COMPLAINT and topic == Topic.GENERAL:
            topic = Topic.COMPLAINT
        return Classification(intent=str(rule), topic=topic, score=1.0, by_rule=True)
    intent_model = bundle["intent"]
    scores = intent_model.decision_function([text])[0]
    best = int(scores.argmax())
    score = float(scores[best])
    intent = str(intent_model.classes_[best]) if score >= MIN_SCORE else str(Intent.OTHER)
    return Classification(intent=intent, topic=topic, score=score, by_rule=False)
