"""Live channels: packaged titles looped in real time as dynamic MPDs (see docs/live.md)."""
