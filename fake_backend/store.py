"""SQLite persistence for every service, in ``<data_dir>/backend.sqlite3``.

:class:`Store` is every table group of :mod:`fake_backend.storage` over one connection
(:class:`~fake_backend.storage.db.Database`): accounts and devices, the catalog, viewing
history, playbacks and telemetry. Content keys live in the ``title_keys`` table and are
only returned by :meth:`Store.title_keys`.
"""

from __future__ import annotations

from fake_backend.storage.accounts import AccountTables
from fake_backend.storage.catalog import CatalogTables
from fake_backend.storage.records import PLANS, Account, Device, Plan, Profile
from fake_backend.storage.telemetry import TelemetryTables
from fake_backend.storage.viewing import ViewingTables

__all__ = ["PLANS", "Account", "Device", "Plan", "Profile", "Store"]


class Store(AccountTables, CatalogTables, ViewingTables, TelemetryTables):
    """All tables behind small typed methods; the only place SQL is written."""
