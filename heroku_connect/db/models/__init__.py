from .base import *  # noqa: F403
from .fields import *  # noqa: F403
from .related import *  # noqa: F403
