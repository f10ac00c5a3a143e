"""``python -m attrib.cli`` is the ``attrib`` console script."""

from attrib.cli import main

main()
