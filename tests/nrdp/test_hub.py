"""Event fan-out: callbacks, bounded subscriptions that drop the oldest, unsubscribe."""

from __future__ import annotations

import asyncio

from nrdp.events import BandwidthEstimated
from nrdp.hub import EventHub


def ev(i: int) -> BandwidthEstimated:
    return BandwidthEstimated(at=float(i), bps=float(i))


async def test_callbacks_and_subscribers_get_every_event_in_order():
    hub = EventHub()
    got: list[float] = []
    remove = hub.add_callback(lambda e: got.append(e.at))
    sub = hub.subscribe()
    for i in range(3):
        hub.publish(ev(i))
    remove()
    hub.publish(ev(3))
    hub.close()
    assert got == [0.0, 1.0, 2.0]
    assert [e.at async for e in sub] == [0.0, 1.0, 2.0, 3.0]


async def test_slow_subscriber_loses_the_oldest_not_the_newest():
    hub = EventHub()
    async with hub.subscribe(maxsize=2) as sub:
        for i in range(5):
            hub.publish(ev(i))
        assert sub.dropped == 3
        first = await asyncio.wait_for(sub.__anext__(), 1)
        assert first.at == 3.0
