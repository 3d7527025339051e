from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from config.prepared import PreparedQuery

# What every staff request needs: the user, its staff profile, and the profile's site and
# province (accounts.selectors.staff_profile_of reads them from the user's cache). Every
# authenticated request runs it, so it is compiled once (config.prepared).
_user_query = PreparedQuery(
    get_user_model(),
    lambda pk: (
        get_user_model()
        ._default_manager.select_related("staff_profile__site", "staff_profile__province")
        .filter(pk=pk)
    ),
)


class StaffModelBackend(ModelBackend):
    """Django's backend, but the user of each request comes with its staff profile and the
    profile's site and province in the same query: every workbench request asks for the
    scope (accounts.selectors.staff_profile_of), so this saves a query on each."""

    def get_user(self, user_id):
        try:
            user = _user_query.get(user_id)
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None
