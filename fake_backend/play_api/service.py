"""Play API: entitlement check, then the playback manifest for one title.

The manifest names the MPD (relative to any OCA base URL), OCA candidates ranked for this
client, the license URL and DRM info, a playback token bound to (account, device, title)
with an expiry, the ladder allowed by the plan, and the experiment cell.
"""

from __future__ import annotations

import uuid

from drm.clearkey import CLEARKEY_SYSTEM_ID
from fake_backend.context import Context
from fake_backend.discovery.service import resolve_profile
from fake_backend.errors import DependencyFailed, NotEntitled, TitleNotFound
from fake_backend.experiments.allocation import allocate
from fake_backend.gateway.api import ApiRequest, Endpoint, Reply, get_str
from fake_backend.live.channel import LIVE_GENRE
from fake_backend.steering.routes import dash_url
from fake_backend.steering.service import Steering
from fake_backend.store import PLANS
from mediacore.signed_message import PLAYBACK_TOKEN_HEADER

__all__ = ["PLAYBACK_TOKEN_HEADER", "PlayApiService"]

MPD_PATH = "manifest.mpd"


class PlayApiService:
    def __init__(self, ctx: Context, steering: Steering) -> None:
        self.ctx = ctx
        self.steering = steering

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("POST", "/play/v1/manifest", self.manifest, "play.manifest", signed=True),
        ]

    async def manifest(self, req: ApiRequest) -> Reply:
        doc = req.json()
        title_id = get_str(doc, "title_id", min_len=1, max_len=64)
        profile_id = get_str(doc, "profile_id", None, max_len=64)
        account = self.ctx.store.account(req.caller.account_id)
        if account is None or not account.entitled:
            raise NotEntitled()
        title = self.ctx.store.title(title_id)
        if title is None:
            raise TitleNotFound(title_id=title_id)
        profile = resolve_profile(self.ctx, account.id, profile_id)
        plan = PLANS[account.plan]
        ladder = [r for r in title.renditions if r.kind != "video" or r.height <= plan.max_height]
        max_height = max((r.height for r in ladder if r.kind == "video"), default=0)
        await self.ctx.faults.apply("steering")
        candidates = self.steering.rank(title.id, req.caller.device_id)
        if not candidates:
            raise DependencyFailed(service="oca-fleet")
        experiment = self.ctx.config.experiment
        cell = allocate(experiment, account.id)
        playback_id = f"pb_{uuid.uuid4().hex}"
        ttl = self.ctx.config.playback_ttl_s
        token = self.ctx.playback.issue(
            {"sub": account.id, "dev": req.caller.device_id, "tid": title.id, "pid": playback_id},
            now=req.now,
            ttl_s=ttl,
        )
        self.ctx.store.add_playback(
            playback_id,
            account.id,
            req.caller.device_id,
            title.id,
            experiment.id,
            cell.name,
            max_height,
            now=req.now,
        )
        self.ctx.store.add_view(account.id, profile.id, title.id, now=req.now)
        self.ctx.cache.invalidate(f"home:{profile.id}")
        kids = [k.hex() for k in title.kids]
        steering_url = dash_url(self.ctx.steering_url, title.id, req.caller.device_id)
        return Reply(
            data={
                "playback_id": playback_id,
                "title_id": title.id,
                "live": LIVE_GENRE in title.genres,
                "profile_id": profile.id,
                "expires_at": int(req.now + ttl),
                "playback_token": token,
                "manifest": {
                    "mpd_path": MPD_PATH,
                    "mpd_url": candidates[0].base_url + MPD_PATH,
                    "segment_template": {
                        "init": "{rendition_id}/init.mp4",
                        "media": "{rendition_id}/seg-$Number$.m4s",
                        "start_number": 1,
                        "segment_duration_s": title.segment_duration_s,
                        "segment_count": title.segment_count,
                    },
                },
                "oca_candidates": [c.to_dict() for c in candidates],
                "steering": {"server_url": steering_url, "ttl_s": self.steering.ttl_s},
                "license": {
                    "url": f"{self.ctx.gateway_url}/license/v1/clearkey",
                    "protocol": "clearkey-json",
                    "headers": {PLAYBACK_TOKEN_HEADER: token},
                    "signed": True,
                },
                "drm": {
                    "scheme": title.scheme,
                    "key_system": "org.w3.clearkey",
                    "system_id": CLEARKEY_SYSTEM_ID,
                    "kids": kids,
                    "default_kid": {r.kind: title.kid_for(r.kind).hex() for r in ladder},
                },
                "ladder": [r.to_dict() for r in ladder],
                "plan": plan.to_dict(),
                "max_height": max_height,
                "experiment": {
                    "id": experiment.id,
                    "cell": cell.name,
                    "params": dict(cell.params),
                },
            }
        )
