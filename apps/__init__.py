"""Reference apps built on the public nrdp API only."""
