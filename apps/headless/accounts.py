"""Fresh accounts over the gateway's signup API (nrdp has no signup: plain HTTP).

``load`` gives every session its own account because the backend allocates A/B cells per
account: sessions sharing one account all land in one cell. An account is signed up
(``POST /signup/v1/accounts``), then logged in once over HTTP for a bearer token and paid
for (``POST /signup/v1/payment`` with the test card) so it is entitled like a subscriber.
Signup and login each cost the backend one scrypt (about 35 ms of CPU here).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp

__all__ = ["TEST_CARD", "AccountError", "NewAccount", "SignupClient", "balanced_accounts"]

TEST_CARD = "4242424242424242"
"""The fake payment provider's always-accepted card (docs/backend.md)."""


class AccountError(Exception):
    """Signup, login or payment over HTTP failed (the load cannot start its sessions)."""


@dataclass(frozen=True)
class NewAccount:
    email: str
    password: str = field(repr=False)
    account_id: str
    plan: str
    entitled: bool = False


class SignupClient:
    """Creates accounts on one gateway, at most ``parallel`` requests in flight; a 429
    (the gateway's per-address rate limit) is retried after its ``Retry-After``."""

    def __init__(self, gateway_url: str, *, parallel: int = 4, timeout_s: float = 30.0) -> None:
        self.gateway_url = gateway_url.rstrip("/")
        self._gate = asyncio.Semaphore(parallel)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._http: aiohttp.ClientSession | None = None
        self.requests = 0

    async def __aenter__(self) -> SignupClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _post(
        self, path: str, body: dict[str, Any], token: str | None = None, retries: int = 5
    ) -> dict[str, Any]:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for attempt in range(retries + 1):
            self.requests += 1
            try:
                async with (
                    self._gate,
                    self._http.post(self.gateway_url + path, json=body, headers=headers) as r,
                ):
                    doc = await r.json(content_type=None)
                    status, retry_after = r.status, r.headers.get("Retry-After", "1")
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise AccountError(f"POST {path}: {type(exc).__name__}: {exc}") from None
            if status == 429 and attempt < retries:
                await asyncio.sleep(float(retry_after) if retry_after.isdigit() else 1.0)
                continue
            if status >= 400:
                err = doc.get("error", {}) if isinstance(doc, dict) else {}
                raise AccountError(
                    f"POST {path}: HTTP {status} {err.get('name', '')} "
                    f"{err.get('message', '')}".rstrip()
                )
            if not isinstance(doc, dict):
                raise AccountError(f"POST {path}: the answer is not a JSON object")
            return doc
        raise AssertionError("unreachable")

    async def signup(self, *, plan: str = "standard") -> NewAccount:
        """A new, unpaid account on ``plan``."""
        email = f"qa-load-{secrets.token_hex(8)}@example.com"
        password = secrets.token_urlsafe(12)
        doc = await self._post(
            "/signup/v1/accounts", {"email": email, "password": password, "plan": plan}
        )
        account_id = doc.get("account_id")
        if not isinstance(account_id, str):
            raise AccountError("POST /signup/v1/accounts: no account_id in the answer")
        return NewAccount(email, password, account_id, plan)

    async def pay(self, account: NewAccount) -> NewAccount:
        """Log in once (bearer token) and pay with the test card: the account is entitled."""
        login = await self._post(
            "/auth/v1/login", {"email": account.email, "password": account.password}
        )
        token = login.get("access_token")
        if not isinstance(token, str):
            raise AccountError("POST /auth/v1/login: no access_token in the answer")
        doc = await self._post(
            "/signup/v1/payment", {"card_number": TEST_CARD, "plan": account.plan}, token
        )
        return replace(account, entitled=bool(doc.get("entitled")))

    async def create(self, *, plan: str = "standard") -> NewAccount:
        """A new entitled account (signup + login + payment)."""
        return await self.pay(await self.signup(plan=plan))

    async def create_many(self, n: int, *, plan: str = "standard") -> list[NewAccount]:
        return list(await asyncio.gather(*(self.create(plan=plan) for _ in range(n))))


async def balanced_accounts(
    client: SignupClient,
    n: int,
    cell_of: Callable[[str], str],
    cells: Sequence[str],
    *,
    plan: str = "standard",
    max_signups: int | None = None,
) -> list[tuple[NewAccount, str]]:
    """``n`` entitled accounts whose cells (``cell_of(account_id)``) go round-robin over
    ``cells``, for a backend whose allocation function is known (the embedded one).

    Unpaid accounts are signed up in batches until every slot has one; only those are paid
    for, surplus accounts stay unused. :class:`AccountError` after ``max_signups``
    (default ``12 * n``, at least 96: a 25 % cell is missed by 24 signups once in a
    thousand runs, by 96 never in practice) signups.
    """
    if not cells:
        raise AccountError("the experiment has no cells")
    want = [cells[i % len(cells)] for i in range(n)]
    need = {c: want.count(c) for c in dict.fromkeys(want)}
    pools: dict[str, list[NewAccount]] = {c: [] for c in need}
    limit = max_signups if max_signups is not None else max(12 * n, 96)
    made = 0
    while missing := sum(k - len(pools[c]) for c, k in need.items()):
        if made >= limit:
            short = {c: k - len(pools[c]) for c, k in need.items() if len(pools[c]) < k}
            raise AccountError(f"{made} signups did not fill the cells {short}")
        batch = min(limit - made, max(2, missing * 2))
        made += batch
        fresh = await asyncio.gather(*(client.signup(plan=plan) for _ in range(batch)))
        for acc in fresh:
            c = cell_of(acc.account_id)
            if c in pools and len(pools[c]) < need[c]:
                pools[c].append(acc)
    paid = {
        c: list(await asyncio.gather(*(client.pay(a) for a in pool))) for c, pool in pools.items()
    }
    return [(paid[c].pop(), c) for c in want]
