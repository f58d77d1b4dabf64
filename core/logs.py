"""Log lines as JSON, one object a line, for the operators' log pipeline.

Used by the request log (``core.middleware.RequestLogMiddleware``) and the failed-job log
(``config.celery``); see "What is logged" in docs/deployment.md for the fields and the
retention. A record's ``fields`` (passed as ``extra={"fields": {...}}``) become the
object's keys; a record without them carries its message.
"""

import contextvars
import datetime
import json
import logging

# The id of the request being served (set by core.middleware.RequestLogMiddleware), added
# to every JSON line logged while it is served: a server error's traceback carries the same
# id as the request's line and the X-Request-ID the user saw.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_request_id", default=None
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        request_id = current_request_id.get()
        if request_id and "request_id" not in entry:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        # One physical line whatever the values hold: json.dumps escapes newlines.
        return json.dumps(entry, ensure_ascii=False, default=str)
