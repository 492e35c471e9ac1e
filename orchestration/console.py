"""What a person sees of a run: expected failures as one line, exit codes, Dagster's log without noise.

Expected failures (an API answering HTML, a redirect to another host, a bad file folder, a busy
warehouse, a dbt var with a bad value) are not bugs: the person running the pipeline needs one line
naming the source, the request and the problem, not a Python traceback. The assets turn them into
``dg.Failure`` with that line (:func:`expected_failure`); :func:`lifecycle_console` is the Dagster
logger ``lifecycle run`` uses, which prints such a failure as that line and keeps stack traces for
unexpected errors (bugs) only.

The exit codes of `lifecycle run` are in :mod:`orchestration.exit_codes`.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import dagster as dg


def expected_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is already a clear, personal-data-free line for the user."""
    from activation import DestinationError, SegmentMissing, SyncAlreadyRunning, SyncConfigError
    from ingestion.connectors.http import ApiError
    from ingestion.file_drop.loader import FileDropError
    from ingestion.parsing import BadRecord
    from ingestion.runs import ConfigError
    from warehouse_io import WarehouseBusy, WarehouseError

    return (ApiError, ConfigError, FileDropError, WarehouseError, WarehouseBusy, BadRecord, FileNotFoundError,
            DestinationError, SegmentMissing, SyncAlreadyRunning, SyncConfigError)


def one_line(exc: BaseException | str, limit: int = 600) -> str:
    from warehouse_io import redact

    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact(text, limit)


def expected_failure(exc: BaseException, **metadata: Any) -> dg.Failure:
    """A Dagster failure carrying the one line (shown by the UI, the CLI and the run's event log)."""
    return dg.Failure(description=one_line(exc), metadata={"error_type": type(exc).__name__, **metadata},
                      allow_retries=False)


def failure_line(result: Any) -> str:
    """The one line of a failed ``execute_in_process`` result: the first failed step and why."""
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        step = event.step_key or "a step"
        if data.user_failure_data is not None and data.user_failure_data.description:
            description = data.user_failure_data.description
            return description if description.startswith(f"{step}:") else f"{step}: {description}"
        err = data.error
        while err is not None and err.cause is not None:  # Dagster wraps the exception that says why
            err = err.cause
        if err is None:
            return f"{step} failed"
        message = " ".join((err.message or "").split())
        if message.startswith(f"{err.cls_name}:"):
            message = message[len(err.cls_name) + 1:].strip()
        return one_line(f"{step}: {err.cls_name}: {message[:500]}")
    return "the run failed (see the log above)"


class _ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or meta.get("op_name") or meta.get("job_name") or "run"
        message = meta.get("orig_message") or record.getMessage()
        if event is not None and event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data is not None and data.user_failure_data.description:
                message = f"failed: {data.user_failure_data.description}"
            elif data.error is not None:  # a bug: the stack trace is what a developer needs
                message = f"failed: {data.error.to_string()}"
        stamp = self.formatTime(record, "%H:%M:%S")
        return f"{stamp} {record.levelname} {step} - {message}"


class _DropRunFailure(logging.Filter):
    """The run's failure repeats the step's; the CLI ends with the one line itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        return not (event is not None and event.event_type_value == "PIPELINE_FAILURE")


@dg.logger(config_schema={"log_level": dg.Field(str, is_required=False, default_value="INFO")},
           description="Dagster's console log for `lifecycle run`: expected failures as one line.")
def lifecycle_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    level = logging.getLevelName(str(init_context.logger_config["log_level"]).upper())
    logger = logging.Logger("lifecycle.run", level=level if isinstance(level, int) else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ConsoleFormatter())
    handler.addFilter(_DropRunFailure())
    logger.addHandler(handler)
    return logger


def console_run_config(verbose: bool = False) -> dict[str, Any]:
    """The ``loggers`` section of a run configuration that selects :func:`lifecycle_console`."""
    return {"loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "INFO"}}}}
