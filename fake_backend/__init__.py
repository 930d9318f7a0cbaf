"""Fake backend: the production services as real aiohttp apps on loopback, with fault injection."""
