"""Steering: OCA ranking per client and DASH-IF content steering."""
