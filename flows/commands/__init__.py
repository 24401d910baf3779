"""Subcommand modules of ``ladder``; each has ``register(subparsers)``."""

from flows.commands import ablate as ablate_commands
from flows.commands import data
from flows.commands import dedup as dedup_commands
from flows.commands import eval as eval_commands
from flows.commands import filtering as filtering_commands
from flows.commands import mix as mix_commands
from flows.commands import platform as platform_commands
from flows.commands import train as train_commands

COMMAND_MODULES = [
    data,
    filtering_commands,
    dedup_commands,
    eval_commands,
    mix_commands,
    platform_commands,
    train_commands,
    ablate_commands,
]
