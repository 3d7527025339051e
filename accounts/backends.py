from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class StaffModelBackend(ModelBackend):
    """Django's backend, but the user of each request comes with its staff profile and the
    profile's site and province in the same query: every workbench request asks for the
    scope (accounts.selectors.staff_profile_of), so this saves a query on each."""

    def get_user(self, user_id):
        # The project keeps Django's own user model, whose manager is the public `objects`.
        users = get_user_model().objects.select_related(
            "staff_profile__site", "staff_profile__province"
        )
        try:
            user = users.filter(pk=user_id).first()
        except (TypeError, ValueError):  # a session holding something that is not an id
            return None
        return user if user is not None and self.user_can_authenticate(user) else None
