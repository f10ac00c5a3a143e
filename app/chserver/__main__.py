"""``python -m attrib.chserver --data-dir DIR --host 127.0.0.1 --port 8123``."""

from __future__ import annotations

import argparse
import logging

from attrib.chserver.pool import DataDirBusy
from attrib.chserver.server import DEFAULT_POOL_SIZE, run_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m attrib.chserver",
        description="Serve ClickHouse's HTTP interface from chdb, with data in DIR.",
    )
    parser.add_argument("--data-dir", required=True, help="where the tables live (created)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument(
        "--connections",
        type=int,
        default=DEFAULT_POOL_SIZE,
        help="chdb connections (parallel queries)",
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        run_server(args.data_dir, args.host, args.port, pool_size=args.connections)
    except DataDirBusy as exc:
        parser.exit(1, f"chserver: {exc}\n")


if __name__ == "__main__":
    main()
