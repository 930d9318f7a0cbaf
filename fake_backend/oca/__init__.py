"""The OCA fleet: range-serving segment servers with fault injection and cache fill."""
