"""Play API: entitlement check and the playback manifest."""
