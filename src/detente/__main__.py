"""`python -m detente` runs the command line."""

from detente.cli import main

main()
