"""Which failures are worth a retry: infrastructure hiccups yes, bad data or config never."""

from __future__ import annotations

TRANSIENT_NAMES = (
    "Py4JNetworkError",
    "ConcurrentAppendException",
    "ConcurrentDeleteReadException",
    "ConcurrentDeleteDeleteException",
    "ConcurrentTransactionException",
    "ProtocolChangedException",
    "MetadataChangedException",
    "LockTimeout",
    "ConnectionError",
    "ConnectionResetError",
    "BrokenPipeError",
    "TimeoutError",
)
TRANSIENT_TEXT = (
    "Connection reset",
    "Connection refused",
    "Python worker exited unexpectedly",
    "Java heap space",
    "SparkContext was shut down",
    "ConcurrentAppendException",
    "ConcurrentModificationException",
)


def is_transient(error: BaseException) -> bool:
    """True for errors a retry can cure (lost connections, commit races, lock waits)."""
    from data_pipeline.lakehouse.config import ConfigError

    if isinstance(error, (ConfigError, KeyError, TypeError)):
        return False
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & set(TRANSIENT_NAMES):
        return True
    text = str(error)
    return any(marker in text for marker in TRANSIENT_TEXT)


def retry_transient(task, task_run, state) -> bool:
    """Prefect ``retry_condition_fn``: retry only transient failures."""
    try:
        state.result()
    except BaseException as error:  # the failed state re-raises its exception here
        return is_transient(error)
    return False
