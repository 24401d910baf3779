"""Retries are for transient failures only, never for bad data or config."""

from data_pipeline.lakehouse.config import ConfigError
from data_pipeline.lakehouse.locks import LockTimeout
from data_pipeline.stages.ingest import IngestError
from flows.retries import is_transient


class Py4JNetworkError(Exception):
    """Same name as py4j's error: classification is by class name."""


def test_transient_failures_are_retried():
    assert is_transient(Py4JNetworkError("Answer from Java side is empty"))
    assert is_transient(LockTimeout("table-docs is being written by run A"))
    assert is_transient(ConnectionResetError())
    assert is_transient(RuntimeError("... ConcurrentAppendException: Files were added ..."))


def test_bad_data_and_config_are_not_retried():
    assert not is_transient(ConfigError("conf/p.yaml: spark.masterr: unknown key"))
    assert not is_transient(IngestError("2 unreadable file(s)"))
    assert not is_transient(RuntimeError("ingest conservation check failed"))
    assert not is_transient(KeyError("text"))
