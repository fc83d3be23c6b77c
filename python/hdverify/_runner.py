"""Run native work in a thread so that Ctrl-C reaches Python: on KeyboardInterrupt the engine is
asked to stop (finished units stay in the checkpoint), the thread is joined, and the interrupt
is raised again."""

from __future__ import annotations

import threading
from typing import Any, Callable, List, Optional

from . import _native


def run_interruptibly(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a worker thread; Ctrl-C stops the engine cleanly."""
    box: List[Any] = [None]
    error: List[Optional[BaseException]] = [None]

    def target() -> None:
        try:
            box[0] = fn(*args, **kwargs)
        except BaseException as e:  # re-raised in the caller's thread
            error[0] = e

    t = threading.Thread(target=target, name="hdverify-run", daemon=True)
    t.start()
    try:
        while t.is_alive():
            t.join(0.1)
    except KeyboardInterrupt:
        _native.interrupt()
        t.join()
        raise
    if error[0] is not None:
        raise error[0]
    return box[0]
