"""`kb user` and `kb token`: accounts (editors, contributors, readers) and editors' API tokens."""

from __future__ import annotations

import argparse
import sys

from cli.output import add_json_option, emit_json, table
from kb.accounts.users import ROLES
from kb.config import Config
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase


def register(subparsers) -> None:
    p = subparsers.add_parser("user", help="accounts: editors, contributors and readers")
    p.set_defaults(handler=user)
    actions = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    q = actions.add_parser("add", help="add an account")
    q.add_argument("name")
    role = q.add_mutually_exclusive_group()
    role.add_argument("--editor", action="store_true", help="may upload, edit and delete")
    role.add_argument(
        "--contributor",
        action="store_true",
        help="may share experiences (Dela en erfarenhet) for editors to publish",
    )
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add_json_option(q)
    q = actions.add_parser("passwd", help="set an account's password")
    q.add_argument("name")
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add_json_option(q)
    add_json_option(actions.add_parser("list", help="list accounts"))
    q = actions.add_parser("remove", help="remove an account; its sessions and tokens end")
    q.add_argument("name")
    add_json_option(q)
    q = actions.add_parser(
        "set-role",
        help="editor, contributor or reader (at once, also for its sessions; only editors keep "
        "their tokens)",
    )
    q.add_argument("name")
    q.add_argument("role", choices=ROLES)
    add_json_option(q)
    q = actions.add_parser(
        "feed-token", help="read-only tokens for feed readers (?token=… on /feed addresses)"
    )
    feed_actions = q.add_subparsers(dest="feed_command", required=True, metavar="ACTION")
    r = feed_actions.add_parser("create", help="create one (printed once)")
    r.add_argument("name")
    add_json_option(r)
    r = feed_actions.add_parser("list", help="list them by id (the tokens are not kept)")
    r.add_argument("name", nargs="?", help="only this account's")
    add_json_option(r)
    r = feed_actions.add_parser("revoke", help="revoke one; its feeds answer 401 at once")
    r.add_argument("token_id", metavar="TOKEN_ID", help="as shown by 'kb user feed-token list'")
    add_json_option(r)

    p = subparsers.add_parser("token", help="API tokens for editors")
    p.set_defaults(handler=token)
    actions = p.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    q = actions.add_parser("create", help="create a token (printed once; send as Bearer)")
    q.add_argument("name")
    add_json_option(q)
    q = actions.add_parser("list", help="list tokens by id (the tokens themselves are not kept)")
    q.add_argument("name", nargs="?", help="only this account's tokens")
    add_json_option(q)
    q = actions.add_parser("revoke", help="revoke a token; it answers 401 at once")
    q.add_argument("token_id", metavar="TOKEN_ID", help="as shown by 'kb token list'")
    add_json_option(q)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise KBError("the passwords differ")
    return first


def user(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    users = knowledge_base.accounts
    if args.user_command == "add":
        role = "editor" if args.editor else "contributor" if args.contributor else "reader"
        created = users.add(args.name, _password(args), role=role)
        out = {"name": created.name, "role": created.role}
    elif args.user_command == "passwd":
        users.set_password(args.name, _password(args))
        out = {"name": args.name, "password": "changed"}
    elif args.user_command == "remove":
        users.remove(args.name)
        out = {"name": args.name, "removed": True}
    elif args.user_command == "set-role":
        out = {"name": args.name, "role": users.set_role(args.name, args.role).role}
    elif args.user_command == "feed-token":
        return feed_token(users, args)
    else:
        listed = [
            {"name": u.name, "role": u.role, "created_at": u.created_at} for u in users.list()
        ]
        if args.json:
            emit_json(listed)
        else:
            print(
                table(
                    [[u["name"], u["role"], u["created_at"]] for u in listed],
                    ["name", "role", "created"],
                )
            )
        return 0
    if args.json:
        emit_json(out)
    else:
        print(", ".join(f"{k}: {v}" for k, v in out.items()))
    return 0


def feed_token(users, args: argparse.Namespace) -> int:
    if args.feed_command == "list":
        listed = [
            {"id": t.id, "name": t.name, "created_at": t.created_at}
            for t in users.feed_tokens(args.name)
        ]
        if args.json:
            emit_json(listed)
        else:
            rows = [[t["id"], t["name"], t["created_at"]] for t in listed]
            print(table(rows, ["id", "name", "created"]))
        return 0
    if args.feed_command == "revoke":
        revoked = users.revoke_feed_token(args.token_id)
        if args.json:
            emit_json({"id": revoked.id, "name": revoked.name, "revoked": True})
        else:
            print(f"revoked feed token {revoked.id} of {revoked.name}")
        return 0
    value = users.create_feed_token(args.name)
    if args.json:
        emit_json({"name": args.name, "feed_token": value})
    else:
        print(value)
        print(
            "Shown only now. Add it to a feed address as ?token=… (it reads feeds, nothing else).",
            file=sys.stderr,
        )
    return 0


def token(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    users = knowledge_base.accounts
    if args.token_command == "list":
        listed = [
            {"id": t.id, "name": t.name, "created_at": t.created_at}
            for t in users.tokens(args.name)
        ]
        if args.json:
            emit_json(listed)
        else:
            print(
                table(
                    [[t["id"], t["name"], t["created_at"]] for t in listed],
                    ["id", "name", "created"],
                )
            )
        return 0
    if args.token_command == "revoke":
        revoked = users.revoke_token(args.token_id)
        if args.json:
            emit_json({"id": revoked.id, "name": revoked.name, "revoked": True})
        else:
            print(f"revoked token {revoked.id} of {revoked.name}")
        return 0
    value = users.create_token(args.name)
    if args.json:
        emit_json({"name": args.name, "token": value})
    else:
        print(value)
        print(
            "Keep it secret: it is shown only now. Send it as 'Authorization: Bearer …'.",
            file=sys.stderr,
        )
    return 0
