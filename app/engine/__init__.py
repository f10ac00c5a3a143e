"""The attribution engine's plumbing between Kafka records and the pure rules.

Nothing here knows Faust: these modules turn records into the rules' model
(:mod:`.convert`), name the keys of the touch index and of an install's
lookups (:mod:`.index`), route keys to partitions the way Kafka does
(:mod:`.partitioning`), and hold the pure state transitions of the tables
(:mod:`.touch_lists`, :mod:`.pending`, :mod:`.devices`). The agents in
``agents/`` wire them to topics and tables; tests drive them without a broker.
"""
