"""One lock for first imports of torch-based modules from request threads.

First imports of torch-based modules from two request threads at once can make CPython's import system raise
"deadlock detected by _ModuleLock('torchvision.models.resnet')" in one of them (the status tab importing
torchvision.models while a first image request imports core.models.resnet). Those imports take this lock.
"""

from __future__ import annotations

import threading

IMPORT_LOCK = threading.RLock()
