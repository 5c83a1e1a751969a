"""`python -m detente` runs the command line."""

from detente.console import main

main()
