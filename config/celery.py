import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("konvergensi", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _add_heartbeat():
    # every worker tells /healthz that it consumes its queues (config/heartbeat.py)
    from .heartbeat import WorkerHeartbeat

    app.steps["consumer"].add(WorkerHeartbeat)


_add_heartbeat()

# Every line a task logs carries its task's id and name and its job's id (lib/logs.py).
_log_context = {}


@signals.task_prerun.connect
def bind_task(task_id=None, task=None, kwargs=None, **_):
    from lib.logs import bind

    values = {"task_id": task_id, "task": getattr(task, "name", None)}
    if kwargs and kwargs.get("job_id"):
        values["job_id"] = str(kwargs["job_id"])
    _log_context[task_id] = bind(**values)


@signals.task_postrun.connect
def unbind_task(task_id=None, **_):
    from lib.logs import unbind

    token = _log_context.pop(task_id, None)
    if token is not None:
        unbind(token)
