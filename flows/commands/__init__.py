"""Subcommand modules of ``ladder``; each has ``register(subparsers)``."""

from flows.commands import data

COMMAND_MODULES = [data]
