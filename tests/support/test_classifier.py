"""The question classifier: the shipped examples, the training command with
its held-out accuracy, the rules for the obvious cases and the predictions."""

import io
import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from support.classifier import Intent, classify, load_examples, model_path, rule_intent
from support.models import Topic


@pytest.fixture
def model_file(settings, tmp_path):
    settings.SUPPORT_MODEL_PATH = str(tmp_path / "classifier.joblib")
    return tmp_path / "classifier.joblib"


def test_the_examples_cover_every_intent_in_both_languages():
    examples = load_examples()

    assert len(examples) >= 400
    by_intent = Counter(example.intent for example in examples)
    assert set(by_intent) == set(Intent.values)
    assert min(by_intent.values()) >= 20
    for intent in Intent.values:
        languages = {example.language for example in examples if example.intent == intent}
        assert languages == {"de", "en"}, intent
    assert {example.topic for example in examples} <= set(Topic.values)


def test_the_command_trains_reports_held_out_accuracy_and_saves_the_model(model_file):
    out = io.StringIO()

    call_command("train_classifier", "--test-size", "0.2", "--seed", "3", stdout=out)

    output = out.getvalue()
    accuracy = float(re.search(r"Intent accuracy on the held-out examples: ([0-9.]+)", output).group(1))
    assert accuracy >= 0.65
    assert re.search(r"held out (\d+)", output).group(1) == str(round(len(load_examples()) * 0.2 + 0.499))
    assert "balance" in output  # the per-intent report
    assert model_file.exists()
    assert model_path() == model_file


@pytest.mark.parametrize("size", ["0", "1", "-0.1", "half"])
def test_the_command_refuses_a_test_size_outside_zero_and_one(model_file, size):
    with pytest.raises(CommandError):
        call_command("train_classifier", "--test-size", size, stdout=io.StringIO())
    assert not model_file.exists()


def test_the_model_is_trained_on_first_use_when_missing(model_file):
    assert not model_file.exists()

    result = classify("Wie hoch ist mein Kontostand?")

    assert result.intent == Intent.BALANCE
    assert model_file.exists()


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Ich möchte eine Beschwerde einreichen", Intent.COMPLAINT),
        ("Ich beschwere mich über Ihren Service", Intent.COMPLAINT),
        ("I want to complain about my bill", Intent.COMPLAINT),
        ("Ich will mit einem Menschen sprechen", Intent.TALK_TO_PERSON),
        ("Kann ich mit einem Mitarbeiter reden?", Intent.TALK_TO_PERSON),
        ("Let me talk to a human", Intent.TALK_TO_PERSON),
        ("agent", Intent.TALK_TO_PERSON),
        ("Bitte um Rückruf", Intent.TALK_TO_PERSON),
    ],
)
def test_rules_catch_the_obvious_cases(text, intent):
    assert rule_intent(text) == intent
    result = classify(text)
    assert result.intent == intent
    assert result.by_rule


def test_rules_leave_ordinary_questions_to_the_model():
    assert rule_intent("Wie hoch ist mein Kontostand?") is None
    assert rule_intent("My agent number is wrong on the bill") is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Wie hoch ist mein Kontostand?", Intent.BALANCE),
        ("wie hoch is mein kontostnad", Intent.BALANCE),
        ("How much do I owe you at the moment?", Intent.BALANCE),
        ("Wann kommt meine nächste Rechnung?", Intent.NEXT_BILL),
        ("Ich möchte meinen Zählerstand eingeben", Intent.SUBMIT_READ),
        ("Which tariff am I on?", Intent.TARIFF_PRICES),
        ("Bei mir ist der Strom ausgefallen", Intent.OUTAGE),
        ("Ich habe eine neue Bankverbindung", Intent.CHANGE_BANK_DETAILS),
        ("Ich ziehe nächsten Monat um", Intent.MOVE),
    ],
)
def test_the_model_recognises_routine_questions(text, intent):
    result = classify(text)

    assert result.intent == intent
    assert not result.by_rule


def test_a_complaint_about_a_bill_keeps_its_topic():
    result = classify("Ich beschwere mich über die falsche Rechnung")

    assert result.intent == Intent.COMPLAINT
    assert result.topic in (Topic.BILLING, Topic.COMPLAINT)
