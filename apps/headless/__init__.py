"""The headless QA player: ``python -m apps.headless play|scenario|load`` (docs/headless.md).

Built on the public :mod:`nrdp` and :mod:`abr`/:mod:`abr.sim` names only (an import
contract); the embedded fake backend (:mod:`apps.embedded`) and the OCA control endpoints
(over HTTP) are the test harness around it.
"""
