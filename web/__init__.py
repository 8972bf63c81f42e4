"""The Flask web app: search, documents, "describe your investment" and uploads, with a JSON API."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kb.config import Config, load_config

log = logging.getLogger(__name__)


def create_app(
    test_config: dict | None = None, kb_config: Config | None = None, embedder=None
) -> Flask:
    """App factory: configuration from a mapping, then the `KB_*` environment."""
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=None,  # from the data folder (see services.secret_key) unless given
        # Body limits are set per request (web/security.py): large for an editor's upload,
        # KB_MAX_FORM_KB for everything else.
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,  # KB_SECURE_COOKIES=1 behind HTTPS
    )
    if test_config:
        app.config.from_mapping(test_config)
    config = kb_config or load_config()
    app.config["KB_CONFIG"] = config
    app.config["SESSION_COOKIE_SECURE"] = (
        app.config["SESSION_COOKIE_SECURE"] or config.secure_cookies
    )
    app.config["MAX_CONTENT_LENGTH"] = config.max_form_bytes
    if config.trusted_hosts:  # a forged Host header then answers 400, never a link to it
        app.config["TRUSTED_HOSTS"] = [h.strip() for h in config.trusted_hosts.split(",")]
    app.permanent_session_lifetime = timedelta(hours=config.session_hours)
    if config.trusted_proxies > 0:
        # Only as many hops as there are proxies: a client can prepend addresses of its own.
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    from web import services

    services.init_app(app, embedder)
    from web import auth
    from web.views import (
        agencies,
        api,
        api_contributions,
        brief,
        contribute,
        describe,
        documents,
        feeds,
        investments,
        moderation,
        overview,
        record_edit,
        review,
        search,
        search_log,
        themes,
        upload,
        versions,
    )

    for module in (
        search,
        documents,
        describe,
        brief,
        upload,
        investments,
        agencies,
        themes,
        overview,
        record_edit,
        review,
        feeds,
        search_log,
        moderation,
        contribute,
        api_contributions,
        versions,
        api,
        auth,
    ):
        app.register_blueprint(module.bp)
    from web import errors, helpers, i18n, security

    i18n.init_app(app)
    errors.init_app(app)
    helpers.init_app(app)
    security.init_app(app)

    # Browsers ask for it on every page: a small file of our own, never a 404. A second
    # address of the static files' endpoint, so it is open and cached as they are.
    app.add_url_rule("/favicon.ico", endpoint="static", defaults={"filename": "favicon.ico"})

    @app.after_request
    def vary_on_htmx(response):
        # Pages and their fragments share URLs: caches and the back button must tell them apart.
        response.vary.add("HX-Request")
        return response

    return app


STATIC = Path(__file__).parent / "static"
