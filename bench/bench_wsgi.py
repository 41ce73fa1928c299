"""The WSGI application with the benchmark's floor URL added (bench/pages.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
settings.ROOT_URLCONF = "floor_urls"
