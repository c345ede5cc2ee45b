from allauth.account.adapter import DefaultAccountAdapter


class InvitationOnlyAdapter(DefaultAccountAdapter):
    """No public signup: accounts are created by accepting a district admin's invitation."""

    def is_open_for_signup(self, request):
        return False
