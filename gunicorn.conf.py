"""gunicorn's own settings, read by gunicorn from the working directory without a flag (so
`make stack`, the image and docker-compose.yml all use it): its logs in the portal's format,
one JSON object per line when LOG_FORMAT is json (the default when DEBUG is off), as the
portal's own lines (lib/logs.py). The command line (Procfile, docker-compose.yml) holds the
rest."""

import os

_debug = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
_format = os.environ.get("LOG_FORMAT") or ("plain" if _debug else "json")
if _format == "json":
    _handler = {"class": "logging.StreamHandler", "formatter": "json"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "lib.logs.JsonFormatter"}},
        "handlers": {
            "console": {**_handler, "stream": "ext://sys.stdout"},
            "error_console": {**_handler, "stream": "ext://sys.stderr"},
            "none": {"class": "logging.NullHandler"},
        },
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            # no access log: the portal's request line (lib/logs.py) has the request id, user
            # and district, and blanks the tokens of invitation and verification links
            "gunicorn.access": {"handlers": ["none"], "propagate": False},
        },
    }
