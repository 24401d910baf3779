"""Subcommand modules of ``ladder``; each has ``register(subparsers)``."""

from flows.commands import data
from flows.commands import mix as mix_commands

COMMAND_MODULES = [data, mix_commands]
