"""Run the command line as ``python -m feeds``."""

from feeds.cli import main

main()
