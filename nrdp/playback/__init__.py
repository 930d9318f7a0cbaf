"""The data plane's control calls: Play API (:mod:`.play_api`), license (:mod:`.license`) and
message signing (:mod:`.signing`). Import the modules directly; nothing is re-exported here
so that :mod:`nrdp.auth` can use the signing module without an import cycle."""

__all__: list[str] = []
