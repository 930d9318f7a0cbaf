"""The control plane: catalog, search, title details and bookmarks on the discovery channel."""

from nrdp.discovery.client import DiscoveryClient

__all__ = ["DiscoveryClient"]
