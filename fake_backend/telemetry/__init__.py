"""Telemetry ingest: playback event batches appended durably."""
