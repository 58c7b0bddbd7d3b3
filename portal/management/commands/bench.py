"""`manage.py bench`: the benchmarks, one JSON object per line per figure."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.bench import BENCHES
from portal.bench.base import BenchContext, scratch_database


class Command(BaseCommand):
    help = (
        "Run the benchmarks in a scratch database (created beside DATABASE_URL's and dropped after) "
        "and print one JSON object per line per figure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", action="append", choices=sorted(BENCHES), help="run only this bench (repeatable)")
        parser.add_argument("--scale", type=float, default=1.0, help="multiply the data sizes (default 1.0)")
        parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")

    def handle(self, *args, only: list[str] | None, scale: float, seed: int, **options) -> None:
        if scale <= 0:
            raise CommandError("--scale must be positive")
        context = BenchContext(scale=scale, seed=seed)
        for name in only or list(BENCHES):
            with scratch_database():
                for figure in BENCHES[name](context):
                    self.stdout.write(json.dumps(figure))
                    self.stdout.flush()
