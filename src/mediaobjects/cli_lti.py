"""``mediaobjects lti register|list|rotate-keys``: registering LMS platforms from the command
line (the same rules as ``POST /api/v1/accounts/self/lti_registrations``), listing them, and
rotating the tool's signing keys."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mediaobjects.settings import Settings


def add_lti_commands(sub: Any) -> None:
    """Registers ``lti`` and its subcommands on the main parser's subparsers."""
    lti = sub.add_parser("lti", help="LTI 1.3: register platforms (LMSs), list them, rotate keys")
    commands = lti.add_subparsers(dest="lti_command", required=True)
    register = commands.add_parser(
        "register", help="register a platform (issuer and client_id from its LMS)"
    )
    register.add_argument(
        "--issuer", required=True, help="the platform's iss, e.g. https://canvas.instructure.com"
    )
    register.add_argument(
        "--client-id", required=True, help="the client_id (Canvas: the developer key's id)"
    )
    register.add_argument(
        "--auth-login-url", required=True, help="the platform's OIDC authorization URL"
    )
    register.add_argument("--auth-token-url", required=True, help="the platform's OAuth2 token URL")
    register.add_argument(
        "--key-set-url", required=True, help="the platform's public key set (JWKS) URL"
    )
    register.add_argument(
        "--deployment-id",
        action="append",
        default=[],
        dest="deployment_ids",
        metavar="ID",
        help="a deployment id the platform sends (repeat for several)",
    )
    register.add_argument(
        "--user-match-claim",
        default=None,
        metavar="CLAIM",
        help="id_token claim matched against existing logins (default email; none: never)",
    )
    register.set_defaults(func=cmd_lti_register)
    commands.add_parser("list", help="list the registered platforms").set_defaults(
        func=cmd_lti_list
    )
    commands.add_parser(
        "rotate-keys",
        help="rotate the tool's signing keys: the published next key starts signing",
    ).set_defaults(func=cmd_lti_rotate_keys)


def _context(settings: Settings) -> Any:
    from mediaobjects.context import build_context
    from mediaobjects.db.engine import build_engine
    from mediaobjects.db.migrate import upgrade

    engine = build_engine(settings.resolved_database_url())
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return build_context(settings, with_jobs=False)


def cmd_lti_register(settings: Settings, args: argparse.Namespace) -> int:
    from mediaobjects.errors import MediaObjectsError
    from mediaobjects.lti import registrations

    given = registrations.RegistrationInput(
        issuer=args.issuer,
        client_id=args.client_id,
        auth_login_url=args.auth_login_url,
        auth_token_url=args.auth_token_url,
        key_set_url=args.key_set_url,
        deployment_ids=list(args.deployment_ids),
        user_match_claim=args.user_match_claim,
    )
    ctx = _context(settings)
    try:
        with ctx.write() as session:
            view = registrations.register_platform(session, given)
            registration_id = view.registration.id
    except MediaObjectsError as exc:
        problems = "; ".join(e.message for e in exc.errors) or exc.message
        print(f"mediaobjects: {problems}; nothing changed", file=sys.stderr)
        return 1
    finally:
        ctx.close()
    print(f"registered platform {registration_id}: {args.issuer} (client_id {args.client_id})")
    return 0


def cmd_lti_list(settings: Settings, _args: argparse.Namespace) -> int:
    from mediaobjects.lti import registrations

    ctx = _context(settings)
    try:
        with ctx.read() as session:
            rows = [
                (
                    v.registration.id,
                    v.registration.issuer,
                    v.registration.client_id,
                    ",".join(v.deployment_ids) or "-",
                    v.registration.user_match_claim,
                )
                for v in registrations.all_registrations(session)
            ]
    finally:
        ctx.close()
    print("id\tissuer\tclient_id\tdeployment_ids\tuser_match_claim")
    for row in rows:
        print("\t".join(str(value) for value in row))
    return 0


def cmd_lti_rotate_keys(settings: Settings, _args: argparse.Namespace) -> int:
    from mediaobjects.lti import keys

    ctx = _context(settings)
    try:
        with ctx.write() as session:
            rotated = [
                (k.state, k.kid) for k in keys.rotate_keys(session, settings.resolved_secret_key())
            ]
    finally:
        ctx.close()
    for state, kid in rotated:
        print(f"{state}\t{kid}")
    return 0
