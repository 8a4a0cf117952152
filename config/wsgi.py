"""WSGI entry point for gunicorn; refuses to serve production with the demo logins present."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from rapport.accounts.safety import refuse_demo_users_in_production  # noqa: E402

refuse_demo_users_in_production()
