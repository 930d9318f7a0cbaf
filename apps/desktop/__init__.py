"""The PySide6 reference player: ``python -m apps.desktop`` (see docs/desktop.md).

Only this package imports Qt; it reaches the services through the public ``nrdp`` API only
(plus ``fake_backend.runner.Backend`` when it embeds the backend).
"""

__all__: list[str] = []
