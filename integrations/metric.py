"""Moved to ``integrations.retrieval_metric`` (the status constants are ``STATUS_*`` there); this path warns."""

from ea_plugin._moved import warn_moved
from integrations.retrieval_metric import *  # noqa: F401,F403
from integrations.retrieval_metric import STATUS_ALIGNED as ALIGNED  # noqa: F401
from integrations.retrieval_metric import STATUS_FAILED as FAILED  # noqa: F401
from integrations.retrieval_metric import STATUS_NOT_JUDGED as NOT_JUDGED  # noqa: F401
from integrations.retrieval_metric import STATUS_OFF_ENTITY as OFF_ENTITY  # noqa: F401

warn_moved("integrations.metric", "integrations.retrieval_metric")
