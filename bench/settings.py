"""Settings of bench/upload.py: production's, with one more URL (the bare upload view that
the real upload is compared with). Never used by a deployment: production's URLconf does not
know the bare view."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
