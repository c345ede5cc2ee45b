"""Anonymise a person's account (accounts.services.anonymise_user; docs/personal-data.md):

    python manage.py anonymise_user someone@example.go.id           # shows what would change
    python manage.py anonymise_user someone@example.go.id --yes     # does it

For operators, on a request under UU PDP 27/2022 (deletion) or when a person leaves for good.
Signed documents keep the name as signed; the account and its personal data go.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from accounts.models import Membership, User
from accounts.services import anonymise_user, is_anonymised


class Command(BaseCommand):
    help = (
        "Replace a user's personal data with a placeholder, end his memberships, disable his "
        "login and remove his MFA and sessions; signed documents are left as signed."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="do it (without: a dry run)")
        parser.add_argument(
            "--by", default="", help="the e-mail of the operator's own account, for the audit log"
        )

    @scopes_disabled()
    def handle(self, *args, email, yes, by, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"no user with the e-mail {email}")
        if is_anonymised(user):
            raise CommandError(f"user #{user.pk} is anonymised already")
        actor = None
        if by:
            actor = User.objects.filter(email__iexact=by.strip(), is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user with the e-mail {by}")
        memberships = Membership.objects.filter(user=user, is_active=True).select_related(
            "district", "province", "agency", "kecamatan", "village"
        )
        self.stdout.write(f"user #{user.pk}: {user.full_name or '-'} <{user.email}>")
        for membership in memberships:
            self.stdout.write(f"  ends: {membership.role} {membership.scope_label}")
        if not yes:
            self.stdout.write("dry run: nothing changed; add --yes to anonymise")
            return
        try:
            result = anonymise_user(user, by=actor)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"anonymised user #{result.user_id}: {result.memberships_ended} memberships ended, "
            f"{result.mfa_removed} MFA authenticators and {result.sessions_ended} sessions "
            f"removed, {result.invitations_scrubbed} invitations and "
            f"{result.audit_entries_scrubbed} audit entries scrubbed of the e-mail, "
            f"left {result.lists_left} lists"
        )
        self.stdout.write("signed documents keep the name as signed (docs/personal-data.md)")
