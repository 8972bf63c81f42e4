"""Accounts: password hashing, login throttling, sessions and tokens that can be ended."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from kb.accounts import users as users_module
from kb.storage.catalog import Catalog
from tests.conftest import EDITOR_PASSWORD, ROOT, csrf

EDITOR_ROUTE = "/api/jobs/finns-inte"  # editors get 404, readers 403, strangers 401


@contextmanager
def users_of(app):
    kb = app.extensions["kb"]["model"].open_kb()
    try:
        yield kb.accounts
    finally:
        kb.close()


def login(client, name="redaktor", password=EDITOR_PASSWORD, **request):
    form = {"name": name, "password": password, "csrf_token": csrf(client)}
    return client.post("/login", data=form, **request)


def stored_hash(app, name="redaktor") -> str:
    with users_of(app) as users:
        return users.db.execute(
            "SELECT password_hash FROM users WHERE name = ?", (name,)
        ).fetchone()[0]


def old_hash(password: str) -> str:
    """A hash as the first release made them: scrypt n=2^14, r=8, p=1."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# hashing ------------------------------------------------------------------
def test_production_scrypt_cost_is_owasps_minimum():
    assert users_module.DEFAULT_SCRYPT == users_module.Scrypt(n=2**17, r=8, p=1)


def test_a_hash_with_the_old_scrypt_cost_is_upgraded_at_login(
    app, client, editor_token, monkeypatch
):
    monkeypatch.setattr(users_module, "SCRYPT", users_module.DEFAULT_SCRYPT)
    with users_of(app) as users, users.db:
        users.db.execute(
            "UPDATE users SET password_hash = ? WHERE name = 'redaktor'",
            (old_hash(EDITOR_PASSWORD),),
        )
    assert login(client).status_code == 303
    assert stored_hash(app).startswith("scrypt$131072$8$1$")
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert login(client).status_code == 303
    assert login(app.test_client(), password="fel-lösenord-1").status_code == 401


def test_login_runs_scrypt_once_for_known_and_unknown_names(client, editor_token, monkeypatch):
    login(client, "ingen-sådan", "fel-lösenord-1")  # the dummy hash is made at the first
    calls, real = [], hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    counts = {}
    for name in ("redaktor", "ingen-sådan", "ingen-alls"):
        calls.clear()
        assert login(client, name, "fel-lösenord-1").status_code == 401
        counts[name] = len(calls)
    assert counts == {"redaktor": 1, "ingen-sådan": 1, "ingen-alls": 1}


# upgrading a catalog made by the first release --------------------------------
OLD_SCHEMA = """
CREATE TABLE users (
    name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
"""


def test_accounts_and_tokens_of_an_old_catalog_keep_working_and_can_be_revoked(config, embedder):
    from web import create_app

    config.data_dir.mkdir(parents=True)
    catalog = Catalog(config.catalog_path)  # opened without migrations, as old versions made it
    old_token = "kb_" + secrets.token_urlsafe(32)
    token_hash = hashlib.sha256(old_token.encode()).hexdigest()
    with catalog.connection as db:
        db.executescript(OLD_SCHEMA)
        db.execute(
            "INSERT INTO users VALUES ('redaktor', ?, 'editor', '2025-01-01T00:00:00')",
            (old_hash(EDITOR_PASSWORD),),
        )
        db.execute(
            "INSERT INTO tokens VALUES (?, 'redaktor', '2025-01-01T00:00:00')", (token_hash,)
        )
    catalog.close()
    app = create_app({"TESTING": True}, kb_config=config, embedder=embedder)
    client = app.test_client()
    assert client.get(EDITOR_ROUTE, headers=bearer(old_token)).status_code == 404
    assert login(client).status_code == 303 and client.get("/upload/").status_code == 200
    with users_of(app) as users:
        [token] = users.tokens("redaktor")
        assert token.id == token_hash[:12]
        users.revoke_token(token.id)
    assert client.get(EDITOR_ROUTE, headers=bearer(old_token)).status_code == 401


# login throttling ---------------------------------------------------------------
WRONG = "fel-lösenord-1"


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failures_from_one_address_do_not_lock_the_editor_out_elsewhere(
    app, editor_token, monkeypatch
):
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    attacker = client_at(app, "203.0.113.66")
    codes = [login(attacker, password=WRONG).status_code for _ in range(10)]
    assert codes == [401] * 5 + [429] * 5
    editor = client_at(app, "198.51.100.7")
    assert login(editor).status_code == 303
    assert 0 < waits[-1] <= 2.0  # slowed down a little, not refused
    for n in range(4):  # more addresses join in: the delay grows, up to two seconds
        for _ in range(5):
            login(client_at(app, f"192.0.2.{n}"), password=WRONG)
    assert login(client_at(app, "198.51.100.8")).status_code == 303 and waits[-1] == 2.0


def test_one_address_is_throttled_per_name_and_across_names(app, editor_token, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    here = client_at(app, "203.0.113.5")
    assert [login(here, password=WRONG).status_code for _ in range(5)] == [401] * 5
    refused = login(here)  # the right password, but this address guessed too often
    assert refused.status_code == 429 and "För många" in refused.get_data(as_text=True)
    # other names from the same address (an office behind one NAT) may still fail a while
    assert [login(here, f"kollega{n}", WRONG).status_code for n in range(15)] == [401] * 15
    assert login(here, "ny-kollega", WRONG).status_code == 429
    assert login(client_at(app, "203.0.113.6")).status_code == 303


def test_trusted_proxy_decides_the_client_address(app, config, embedder, editor_token, monkeypatch):
    from kb.config import load_config
    from web import create_app

    assert load_config(env={}).trusted_proxies == 0
    assert load_config(env={"KB_TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    monkeypatch.setattr(time, "sleep", lambda seconds: None)

    def via_proxy(client, forwarded_for: str, password: str):
        return login(client, password=password, headers={"X-Forwarded-For": forwarded_for})

    behind = create_app(
        {"TESTING": True}, kb_config=config.with_(trusted_proxies=1), embedder=embedder
    )
    proxy = client_at(behind, "10.0.0.1")
    assert [via_proxy(proxy, "203.0.113.5", WRONG).status_code for _ in range(5)] == [401] * 5
    assert via_proxy(proxy, "203.0.113.5", EDITOR_PASSWORD).status_code == 429
    assert via_proxy(proxy, "198.51.100.7", EDITOR_PASSWORD).status_code == 303
    # with no trusted proxy (the default) the header is the client's say-so: ignored
    direct = client_at(app, "10.0.0.2")
    for n in range(5):
        assert via_proxy(direct, f"192.0.2.{n}", WRONG).status_code == 401
    assert via_proxy(direct, "192.0.2.99", EDITOR_PASSWORD).status_code == 429


def test_parallel_failed_logins_cannot_exceed_the_limit(app, editor_token):
    clients = [client_at(app, "203.0.113.9") for _ in range(12)]
    tokens = [csrf(client) for client in clients]
    start = threading.Barrier(len(clients))

    def attempt(client, token):
        start.wait()
        form = {"name": "redaktor", "password": WRONG, "csrf_token": token}
        return client.post("/login", data=form).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = list(pool.map(attempt, clients, tokens))
    assert sorted(codes) == [401] * 5 + [429] * 7


# sessions -----------------------------------------------------------------------
def copy_of_session(app, client):
    """Another browser holding the same session cookie (copied, stolen or just another tab)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def logged_in(client) -> bool:
    return client.get("/upload/").status_code == 200


def test_logout_everywhere_ends_copied_and_other_sessions(app, editor):
    copied = copy_of_session(app, editor)
    elsewhere = app.test_client()
    assert login(elsewhere).status_code == 303
    assert logged_in(copied) and logged_in(elsewhere)
    page = editor.get("/").get_data(as_text=True)
    assert 'formaction="/logout/everywhere"' in page and "Logga ut överallt" in page
    response = editor.post("/logout/everywhere", data={"csrf_token": csrf(editor)})
    assert response.status_code == 303
    assert not logged_in(editor) and not logged_in(copied) and not logged_in(elsewhere)
    assert login(editor).status_code == 303 and logged_in(editor)  # a new login works


def test_a_new_password_ends_existing_sessions(app, editor):
    copied = copy_of_session(app, editor)
    with users_of(app) as users:
        users.set_password("redaktor", "ett-helt-nytt-lösenord")
    assert not logged_in(copied) and not logged_in(editor)
    assert login(editor, password="ett-helt-nytt-lösenord").status_code == 303


def test_a_session_lasts_kb_session_hours(app, config, embedder, client, editor_token):
    from werkzeug.http import parse_date

    from kb.config import load_config
    from web import create_app

    assert load_config(env={}).session_hours == 12
    response = login(client)
    expires = parse_date(response.headers["Set-Cookie"].split("Expires=")[1].split(";")[0])
    assert abs(expires.timestamp() - (time.time() + 12 * 3600)) < 60
    assert logged_in(client)
    with client.session_transaction() as session:  # as if logged in 12 hours and a minute ago
        session["since"] -= 12 * 3600 + 60
    assert not logged_in(client)
    short = create_app(
        {"TESTING": True}, kb_config=config.with_(session_hours=0.5), embedder=embedder
    )
    assert short.permanent_session_lifetime.total_seconds() == 1800


# tokens, roles and removal ------------------------------------------------------
def test_a_revoked_token_answers_401_at_once(app, client, editor_token):
    assert client.get(EDITOR_ROUTE, headers=bearer(editor_token)).status_code == 404
    with users_of(app) as users:
        [token] = users.tokens("redaktor")
        assert editor_token not in repr(token) and len(token.id) == 12
        users.revoke_token(token.id)
    assert client.get(EDITOR_ROUTE, headers=bearer(editor_token)).status_code == 401


def test_a_removed_user_can_neither_use_sessions_tokens_nor_log_in(app, editor, editor_token):
    with users_of(app) as users:
        users.remove("redaktor")
    assert not logged_in(editor)
    assert editor.get(EDITOR_ROUTE, headers=bearer(editor_token)).status_code == 401
    assert login(app.test_client()).status_code == 401
    with users_of(app) as users:  # the same name made anew does not revive old cookies
        users.add("redaktor", EDITOR_PASSWORD, editor=True)
    assert not logged_in(editor)


def test_a_demoted_editor_loses_write_rights_at_once(app, editor, editor_token):
    with users_of(app) as users:
        assert users.set_role("redaktor", "reader").role == "reader"
    assert editor.get("/upload/").status_code == 403  # the old session: still a reader
    assert editor.get(EDITOR_ROUTE).status_code == 403
    assert editor.get(EDITOR_ROUTE, headers=bearer(editor_token)).status_code == 401


# the command line ---------------------------------------------------------------
def test_account_and_token_commands_from_the_command_line(app, config, client, base_config):
    env = {
        **os.environ,
        "KB_DATA_DIR": str(config.data_dir),
        "KB_CACHE_DIR": str(base_config.cache_dir),
    }
    kb_script = os.path.join(os.path.dirname(sys.executable), "kb")

    def kb(*args: str, stdin: str | None = None) -> tuple[int, object, str]:
        done = subprocess.run(
            [kb_script, *args, "--json"],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )
        return done.returncode, json.loads(done.stdout) if done.stdout else None, done.stdout

    assert (
        kb("user", "add", "redaktor", "--editor", "--password-stdin", stdin=EDITOR_PASSWORD + "\n")[
            0
        ]
        == 0
    )
    assert stored_hash(app).startswith("scrypt$131072$8$1$")  # the production cost
    first, second = (kb("token", "create", "redaktor")[1]["token"] for _ in range(2))
    code, listed, raw = kb("token", "list", "redaktor")
    assert code == 0 and [set(t) for t in listed] == [{"id", "name", "created_at"}] * 2
    assert first not in raw and second not in raw  # ids only: the tokens are not kept
    token_id = listed[0]["id"]
    code, revoked, _ = kb("token", "revoke", token_id)
    assert code == 0 and revoked == {"id": token_id, "name": "redaktor", "revoked": True}
    assert kb("token", "revoke", token_id)[1] == {"error": f"no token with id {token_id!r}"}
    assert [t["id"] for t in kb("token", "list")[1]] == [listed[1]["id"]]
    answers = sorted(
        client.get(EDITOR_ROUTE, headers=bearer(t)).status_code for t in (first, second)
    )
    assert answers == [401, 404]  # the revoked one at once, the other still works

    assert login(client).status_code == 303 and logged_in(client)
    assert kb("user", "set-role", "redaktor", "reader")[1] == {"name": "redaktor", "role": "reader"}
    assert client.get("/upload/").status_code == 403
    assert all(
        client.get(EDITOR_ROUTE, headers=bearer(t)).status_code == 401 for t in (first, second)
    )
    assert kb("token", "list", "redaktor")[1] == []
    assert kb("user", "set-role", "redaktor", "editor")[1]["role"] == "editor"
    assert logged_in(client)
    code, removed, _ = kb("user", "remove", "redaktor")
    assert code == 0 and removed == {"name": "redaktor", "removed": True}
    assert not logged_in(client) and login(app.test_client()).status_code == 401
    assert kb("user", "list")[1] == []
    assert kb("user", "remove", "redaktor")[0] == 1
