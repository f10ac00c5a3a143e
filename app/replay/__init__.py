"""``attrib replay``: re-decide archived event-time data with a changed configuration.

reading (:mod:`.source`), ordering and re-deciding with the worker's own
processors (:mod:`.redecide`), ``--set`` (:mod:`.overrides`), before/after
per media source (:mod:`.compare`), one run (:mod:`.run`).
"""
