"""Server-to-Server OAuth token endpoint and bearer-token checks (S2S tokens and legacy JWTs).

S2S: `POST /oauth/token` with `Authorization: Basic base64(client_id:client_secret)` and
`grant_type=account_credentials&account_id=…` (form body; query-string params are also accepted, as Zoom did for
years).  Tokens live `token_ttl_seconds` (3600) on the simulated clock, there is no refresh token.
JWT: HS256 with `iss` = the account's API key, signed with its API secret, `exp` checked on the simulated clock.
Any other, expired or revoked token gets Zoom's `401 {"code":124,"message":"Invalid access token."}`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import warnings
from typing import Any

import jwt
from werkzeug.wrappers import Request

from .errors import ZoomError
from .state import Account, SimState, Token

SUPPORTED_GRANTS = ("account_credentials", "authorization_code", "refresh_token", "device_auth")


def _oauth_error(status: int, code: int, error: str, reason: str) -> tuple[int, dict[str, Any]]:
    # Zoom's token endpoint answers {"reason", "error"} (the Q-SYS plugin reads both); the numeric code from Zoom's
    # OAuth error table is added so clients can tell 4702 (bad client) from 4706 (missing field).
    return status, {"reason": reason, "error": error, "code": code}


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, client_secret = decoded.partition(":")
    return (client_id, client_secret) if sep else None


def token_endpoint(state: SimState, request: Request, base_url: str) -> tuple[int, dict[str, Any]]:
    params = {**request.args.to_dict(), **request.form.to_dict()}
    credentials = _basic_credentials(request)
    if credentials is None:
        credentials = (params.get("client_id", ""), params.get("client_secret", ""))
    if not credentials[0] or not credentials[1]:
        return _oauth_error(400, 4706, "invalid_request", "Client ID or client secret is missing.")
    grant_type = params.get("grant_type")
    if not grant_type:
        return _oauth_error(400, 4706, "invalid_request", "Missing grant type.")
    if grant_type not in SUPPORTED_GRANTS:
        return _oauth_error(400, 4705, "unsupported_grant_type", "Unsupported grant type")
    with state.lock:
        account = next((a for a in state.accounts if a.client_id == credentials[0]), None)
        if account is None or not secrets.compare_digest(account.client_secret, credentials[1]):
            return _oauth_error(401, 4702, "invalid_client", "Invalid client_id or client_secret")
        if grant_type != "account_credentials":
            # Only S2S apps are simulated; their credentials cannot run user-authorisation grants.
            return _oauth_error(400, 4705, "unsupported_grant_type", "Unsupported grant type")
        if params.get("account_id") != account.id:
            return _oauth_error(400, 4706, "invalid_request", "Invalid account_id")
        now = state.clock.now()
        token = "sim_" + secrets.token_urlsafe(32)
        state.tokens[token] = Token(account_id=account.id, expires_at=now + state.token_ttl_seconds)
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": state.token_ttl_seconds,
            "scope": account.scope,
            "api_url": base_url,
        }


def invalid_token(message: str = "Invalid access token.") -> ZoomError:
    return ZoomError(401, 124, message)


def authenticate(state: SimState, request: Request, now: float) -> Account:
    """The account a bearer token belongs to; raises 401 code 124 otherwise.  Caller holds state.lock."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        raise invalid_token()
    token = header[7:].strip()
    record = state.tokens.get(token)
    if record is not None:
        if record.revoked:
            raise invalid_token()
        if now >= record.expires_at:
            raise invalid_token("Access token is expired.")
        account = state.account(record.account_id)
        if account is None:
            raise invalid_token()
        return account
    return _jwt_account(state, token, now)


def _jwt_account(state: SimState, token: str, now: float) -> Account:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise invalid_token() from None
    account = next((a for a in state.accounts if a.api_key and a.api_key == claims.get("iss")), None)
    if account is None or not account.jwt_enabled or token in state.revoked_jwts:
        raise invalid_token()
    try:
        with warnings.catch_warnings():
            # Legacy JWT secrets are short (the default is "sim-api-secret"); Zoom accepted them, so do we.
            warnings.simplefilter("ignore")
            # Expiry is checked against the simulated clock below, not pyjwt's wall clock.
            jwt.decode(token, account.api_secret, algorithms=["HS256"], options={"verify_exp": False})
    except jwt.PyJWTError:
        raise invalid_token() from None
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        raise invalid_token()
    if exp > 100_000_000_000:
        # Zoom's own sample (zoom/zoom-api-jwt) put milliseconds in exp; accept both.
        exp = exp / 1000
    if now >= exp:
        raise invalid_token("Access token is expired.")
    state.seen_jwts.add(token)
    return account


def revoke(state: SimState, token: str | None = None, account_id: str | None = None) -> int:
    """Revoke one token, or every token (of one account); returns how many were revoked."""
    count = 0
    with state.lock:
        for value, record in state.tokens.items():
            if (token is None or value == token) and (account_id is None or record.account_id == account_id):
                if not record.revoked:
                    record.revoked = True
                    count += 1
        account = state.account(account_id) if account_id else None
        for value in list(state.seen_jwts - state.revoked_jwts):
            issuer = jwt.decode(value, options={"verify_signature": False}).get("iss")
            if (token is None or value == token) and (account_id is None or (account and issuer == account.api_key)):
                state.revoked_jwts.add(value)
                count += 1
        if token is not None and token not in state.tokens:
            state.revoked_jwts.add(token)
    return count
