"""Trace-driven ABR simulator: virtual time, chunk by chunk, no wall clock."""
