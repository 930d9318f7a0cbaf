"""The headless QA player: ``python -m apps.headless play|scenario|load`` (docs/headless.md).

Built on the public :mod:`nrdp` API only; the embedded fake backend and the OCA control
endpoints (over HTTP) are the test harness around it.
"""
