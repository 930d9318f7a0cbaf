"""The fake backend's SQLite tables, one module per group of tables;
:class:`fake_backend.store.Store` joins them behind one connection."""
