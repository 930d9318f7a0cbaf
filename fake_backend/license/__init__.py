"""License: W3C ClearKey JSON, keys only for the playback token's title."""
