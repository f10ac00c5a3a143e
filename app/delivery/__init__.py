"""Postbacks to ad networks and the push API to advertisers (R32–R36).

Pure parts: :mod:`.plan` (who gets what for a record), :mod:`.macros` (postback
URLs), :mod:`.push` (push bodies and signatures), :mod:`.schedule` (retries).
I/O parts: :mod:`.sender` (HTTP), :mod:`.state` (pending deliveries and their
compacted topic), :mod:`.service` (the consumer group that runs it all).
"""
