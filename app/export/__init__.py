"""Exports of attributions in other products' layouts (migration aids, docs/analytics.md)."""
