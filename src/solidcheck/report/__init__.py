"""Renderers: every human-facing form of a result is drawn from the Result (its JSON)."""
