"""Auth and signup endpoints: login, refresh, me, profiles, plans, signup, fake payment."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import sqlite3
import uuid
from typing import Any

from drm.clearkey import b64url_encode
from fake_backend.auth.passwords import hash_password, verify_password
from fake_backend.auth.throttle import LoginThrottle
from fake_backend.context import Context
from fake_backend.errors import (
    AccountExists,
    DeviceNotFound,
    Forbidden,
    InvalidCredentials,
    InvalidField,
    InvalidRefreshToken,
    InvalidToken,
    PaymentDeclined,
    UnknownPlan,
)
from fake_backend.gateway.api import ApiRequest, Endpoint, Reply, get_bool, get_str
from fake_backend.store import PLANS, Account
from mediacore.device_id import DEVICE_ID_RULE, is_valid_device_id

__all__ = ["DECLINED_CARD", "TEST_CARD", "AuthService"]

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,24}")
TEST_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class AuthService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # Unknown e-mails still pay one scrypt, so timing does not reveal which exist.
        self._dummy_hash = hash_password("not-a-password", salt=b"\0" * 16)
        self.throttle = LoginThrottle(ctx.config.login_limits)

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("POST", "/auth/v1/login", self.login, "auth.login", auth=False),
            Endpoint("POST", "/auth/v1/refresh", self.refresh, "auth.refresh", auth=False),
            Endpoint("GET", "/auth/v1/me", self.me, "auth.me"),
            Endpoint("GET", "/auth/v1/profiles", self.list_profiles, "auth.profiles"),
            Endpoint("POST", "/auth/v1/profiles", self.add_profile, "auth.add_profile"),
            Endpoint("GET", "/auth/v1/devices", self.devices, "auth.devices"),
            Endpoint(
                "DELETE", "/auth/v1/devices/{device_id}", self.revoke_device, "auth.revoke_device"
            ),
            Endpoint("GET", "/auth/v1/plans", self.plans, "auth.plans", auth=False),
            Endpoint("POST", "/signup/v1/accounts", self.signup, "signup.accounts", auth=False),
            Endpoint("POST", "/signup/v1/payment", self.payment, "signup.payment"),
        ]

    # -- helpers ------------------------------------------------------------------------
    def create_account(self, email: str, password: str, plan: str, *, entitled: bool) -> str:
        """Used by signup and by the runner for the demo account."""
        if plan not in PLANS:
            raise UnknownPlan(plan=plan)
        try:
            account_id = self.ctx.store.create_account(
                email, hash_password(password), plan, now=self.ctx.clock()
            )
        except sqlite3.IntegrityError:
            raise AccountExists() from None
        if entitled:
            self.ctx.store.set_entitled(account_id, plan, True)
        return account_id

    def _tokens(self, account_id: str, device_id: str, now: float) -> dict[str, Any]:
        cfg = self.ctx.config
        access = self.ctx.access.issue(
            {"sub": account_id, "dev": device_id}, now=now, ttl_s=cfg.access_ttl_s
        )
        refresh = secrets.token_urlsafe(32)
        self.ctx.store.add_refresh_token(
            refresh, account_id, device_id, expires=now + cfg.refresh_ttl_s
        )
        return {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": int(cfg.access_ttl_s),
            "refresh_token": refresh,
        }

    # -- endpoints ----------------------------------------------------------------------
    async def login(self, req: ApiRequest) -> Reply:
        doc = req.json()
        email = get_str(doc, "email", min_len=3, max_len=254)
        password = get_str(doc, "password", max_len=1024)
        device_id = get_str(doc, "device_id", None, max_len=64)
        model = get_str(doc, "device_model", "unknown", max_len=128)
        if device_id is not None and not is_valid_device_id(device_id):  # the SDK's rule too
            raise InvalidField(f"must be {DEVICE_ID_RULE}", field="device_id")
        account = self.ctx.store.account_by_email(email)
        known = self._known_device(account.id if account else None, device_id)
        who = (email.strip().lower(), req.request.remote or "unknown")
        self.throttle.attempt(*who, known_device=known, now=req.now)
        stored = account.password_hash if account else self._dummy_hash
        ok = await asyncio.to_thread(verify_password, password, stored)
        if account is None or not ok:
            raise InvalidCredentials()
        self.throttle.succeeded(*who, known_device=known, now=req.now)
        device_id = device_id or f"dev_{uuid.uuid4().hex}"
        session_key = os.urandom(32)
        if not self.ctx.store.upsert_device(device_id, account.id, model, session_key, now=req.now):
            raise Forbidden("this device id is registered to another account")
        body = self._tokens(account.id, device_id, req.now)
        body.update(
            account_id=account.id,
            device_id=device_id,
            session_key=b64url_encode(session_key),
            plan=account.plan,
            entitled=account.entitled,
            profiles=[p.to_dict() for p in self.ctx.store.profiles(account.id)],
        )
        return Reply(data=body)

    def _known_device(self, account_id: str | None, device_id: str | None) -> bool:
        """The login names a device already registered to the account (a familiar device:
        the account-wide failure limit does not apply to it)."""
        if account_id is None or device_id is None:
            return False
        device = self.ctx.store.device(device_id)
        return device is not None and device.account_id == account_id

    async def refresh(self, req: ApiRequest) -> Reply:
        doc = req.json()
        token = get_str(doc, "refresh_token", max_len=256)
        used = self.ctx.store.use_refresh_token(token, now=req.now)
        if used is None:
            raise InvalidRefreshToken()
        account_id, device_id = used
        return Reply(data=self._tokens(account_id, device_id, req.now))

    def _account(self, req: ApiRequest) -> Account:
        account = self.ctx.store.account(req.caller.account_id)
        if account is None:
            raise InvalidToken("account no longer exists")
        return account

    async def me(self, req: ApiRequest) -> Reply:
        account = self._account(req)
        return Reply(
            data={
                "account_id": account.id,
                "email": account.email,
                "plan": PLANS[account.plan].to_dict(),
                "entitled": account.entitled,
                "device_id": req.caller.device_id,
                "profiles": [p.to_dict() for p in self.ctx.store.profiles(account.id)],
                "devices": self.ctx.store.devices(account.id),
            }
        )

    async def list_profiles(self, req: ApiRequest) -> Reply:
        profiles = self.ctx.store.profiles(req.caller.account_id)
        return Reply(data={"profiles": [p.to_dict() for p in profiles]})

    async def add_profile(self, req: ApiRequest) -> Reply:
        doc = req.json()
        name = get_str(doc, "name", min_len=1, max_len=40)
        kids = get_bool(doc, "kids", False)
        if len(self.ctx.store.profiles(req.caller.account_id)) >= 5:
            raise InvalidField("an account has at most 5 profiles", field="name")
        p = self.ctx.store.add_profile(req.caller.account_id, name, kids)
        return Reply(status=201, data=p.to_dict())

    async def devices(self, req: ApiRequest) -> Reply:
        return Reply(data={"devices": self.ctx.store.devices(req.caller.account_id)})

    async def revoke_device(self, req: ApiRequest) -> Reply:
        device_id = req.request.match_info["device_id"]
        if not self.ctx.store.revoke_device(req.caller.account_id, device_id):
            raise DeviceNotFound(device_id=device_id[:64])
        return Reply(data={"revoked": device_id})

    async def plans(self, req: ApiRequest) -> Reply:
        return Reply(data={"plans": [p.to_dict() for p in PLANS.values()]})

    async def signup(self, req: ApiRequest) -> Reply:
        doc = req.json()
        email = get_str(doc, "email", min_len=3, max_len=254)
        password = get_str(doc, "password", min_len=8, max_len=1024)
        plan = get_str(doc, "plan", max_len=32)
        if not _EMAIL.fullmatch(email):
            raise InvalidField("not an e-mail address", field="email")
        if plan not in PLANS:
            raise UnknownPlan(plan=plan)
        if self.ctx.store.account_by_email(email) is not None:
            raise AccountExists()
        hashed = await asyncio.to_thread(hash_password, password)
        try:
            account_id = self.ctx.store.create_account(email, hashed, plan, now=req.now)
        except sqlite3.IntegrityError:
            raise AccountExists() from None
        return Reply(status=201, data={"account_id": account_id, "plan": plan, "entitled": False})

    async def payment(self, req: ApiRequest) -> Reply:
        doc = req.json()
        card = get_str(doc, "card_number", max_len=32).replace(" ", "")
        account = self._account(req)
        plan = get_str(doc, "plan", account.plan, max_len=32)
        if plan not in PLANS:
            raise UnknownPlan(plan=plan)
        if not (card.isascii() and card.isdigit() and 12 <= len(card) <= 19 and _luhn_ok(card)):
            raise InvalidField("not a valid card number", field="card_number")
        if card == DECLINED_CARD:
            self.ctx.store.record_payment(account.id, plan, "declined", now=req.now)
            raise PaymentDeclined()
        self.ctx.store.record_payment(account.id, plan, "paid", now=req.now)
        self.ctx.store.set_entitled(account.id, plan, True)
        return Reply(data={"account_id": account.id, "plan": plan, "entitled": True})
