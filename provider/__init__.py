"""The Flask provider: `gunicorn 'provider:create_app()'` serves it with configuration from OAI_* variables."""
from provider.app import create_app

__all__ = ["create_app"]
