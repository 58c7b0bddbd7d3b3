"""Retrain the question classifier on support/data/questions.csv."""

from django.core.management.base import BaseCommand, CommandError

from support.classifier import classifier_train


def _fraction(value: str) -> float:
    try:
        fraction = float(value)
    except ValueError as error:
        raise CommandError(f"--test-size must be a number between 0 and 1, not {value!r}") from error
    if not 0 < fraction < 1:
        raise CommandError(f"--test-size must lie between 0 and 1, not {value}")
    return fraction


class Command(BaseCommand):
    help = (
        "Train the classifier for customers' questions (intent and topic) on the labelled examples, "
        "print its accuracy on a held-out part and store the model trained on all examples."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--test-size", default="0.2", help="Share of the examples held out for testing (default 0.2)."
        )
        parser.add_argument("--seed", type=int, default=7, help="Random seed of the split and the model (default 7).")

    def handle(self, *args, **options):
        report = classifier_train(test_size=_fraction(options["test_size"]), seed=options["seed"])
        self.stdout.write(f"Examples: {report.examples} (trained on {report.train_size}, held out {report.test_size})")
        self.stdout.write(f"Intent accuracy on the held-out examples: {report.accuracy:.3f}")
        self.stdout.write(f"Topic accuracy on the held-out examples: {report.topic_accuracy:.3f}")
        self.stdout.write(report.report)
        self.stdout.write(self.style.SUCCESS(f"Model trained on all {report.examples} examples saved to {report.path}"))
