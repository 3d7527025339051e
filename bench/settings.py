"""Settings of bench/upload.py: production's, with two more URLs (the bare upload view and the
floor view that the real upload is compared with, bench/views.py). Never used by a
deployment: production's URLconf does not know them."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
