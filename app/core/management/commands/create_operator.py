"""Create the first operator account from ADMIN_USERNAME / ADMIN_EMAIL / ADMIN_PASSWORD."""

import os

from django.core.management.base import BaseCommand, CommandError

from app.core.operators import ensure_operator


class Command(BaseCommand):
    help = "Create the first operator account from environment variables (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("ADMIN_USERNAME", "operator"))
        parser.add_argument("--email", default=os.environ.get("ADMIN_EMAIL", ""))

    def handle(self, *args, username: str, email: str, **options):
        if not username:
            raise CommandError("ADMIN_USERNAME (or --username) must not be empty.")
        result = ensure_operator(
            username=username, email=email, password=os.environ.get("ADMIN_PASSWORD") or None
        )
        if result.created:
            self.stdout.write(f"Operator account {result.username!r} created.")
        else:
            self.stdout.write(f"Operator account {result.username!r} already exists; unchanged.")
