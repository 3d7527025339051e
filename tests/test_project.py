import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_favicon_on_admin_pages_and_at_the_address_browsers_guess(client, db):
    login = client.get("/admin/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg"' in login
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/favicon.svg")


def test_readme_points_only_inside_the_repository():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert "../" not in readme
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith(("http://", "https://")):
            assert (Path(settings.BASE_DIR) / target).exists(), target
