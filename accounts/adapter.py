from allauth.account.adapter import DefaultAccountAdapter


class InvitationOnlyAdapter(DefaultAccountAdapter):
    """No public signup: accounts are created by accepting a district admin's invitation."""

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request):
        """The one reading of the client address behind our proxies (lib.ratelimit), so that
        the login and reset limits count the client, not the proxy."""
        from django.core.exceptions import PermissionDenied

        from lib.ratelimit import client_ip

        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip
