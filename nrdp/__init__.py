"""nrdp: the device SDK (channels, Play API, license, OCA failover, scheduler, decode, Player).

Not built yet: see issue 7. The package exists so the layout and import contracts hold.
"""

__all__: list[str] = []
