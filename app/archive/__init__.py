"""The raw archive: every input and output record as Parquet, beyond Kafka's retention.

``attrib archive`` (or the worker with ``ATTRIB_WORKER_ARCHIVE=true``) runs
:class:`~attrib.archive.service.ArchiveService`; docs/archive.md is the guide.
"""
