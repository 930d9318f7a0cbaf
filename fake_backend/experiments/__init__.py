"""A/B experiments: deterministic allocation of playbacks to cells and QoE per cell."""
