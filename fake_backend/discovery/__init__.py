"""Discovery: home rows, title details, search, bookmarks, with a TTL cache."""
