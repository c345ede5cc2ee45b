from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_scopes import scopes_disabled

from accounts.models import Role, User
from accounts.services import grant_membership
from villages.models import Agency, District, Kecamatan, Province, Village


class Command(BaseCommand):
    help = (
        "Give a user a role (creating the user when needed). For operators: national and "
        "province roles, and the first admin of a district. The new user sets a password "
        "with 'Lupa kata sandi' on the login page."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("role", choices=[r.value for r in Role])
        parser.add_argument("--district", help="district slug")
        parser.add_argument("--province", help="province code, e.g. 32")
        parser.add_argument("--kecamatan", help="kecamatan code")
        parser.add_argument("--village", help="village code")
        parser.add_argument("--agency", help="agency short name in the district, e.g. DINKES")
        parser.add_argument("--name", default="")

    @scopes_disabled()
    @transaction.atomic
    def handle(
        self, *args, email, role, district, province, kecamatan, village, agency, name, **options
    ):
        try:
            scope = {}
            if district:
                scope["district"] = District.objects.get(slug=district)
            if province:
                scope["province"] = Province.objects.get(code=province)
            if kecamatan:
                scope["kecamatan"] = Kecamatan.objects.get(code=kecamatan)
            if village:
                scope["village"] = Village.objects.get(code=village)
            if agency:
                scope["agency"] = Agency.objects.get(
                    district=scope.get("district"), short_name=agency
                )
        except (
            District.DoesNotExist,
            Province.DoesNotExist,
            Kecamatan.DoesNotExist,
            Village.DoesNotExist,
            Agency.DoesNotExist,
        ) as exc:
            raise CommandError(str(exc)) from exc
        user, created = User.objects.get_or_create(
            email=email.lower(), defaults={"full_name": name}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        try:
            membership = grant_membership(user=user, role=role, **scope)
        except Exception as exc:
            raise CommandError(f"role and scope do not fit: {exc}") from exc
        self.stdout.write(
            f"{membership.role} {membership.scope_label} {user.email}"
            + (" (new user: set a password with 'Lupa kata sandi')" if created else "")
        )
