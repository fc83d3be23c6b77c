"""Run native work in a thread so that Ctrl-C reaches Python: on KeyboardInterrupt the engine is
asked to stop (finished units stay in the checkpoint), the thread is joined, and the interrupt
is raised again."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, List, Optional

from . import _native


class _Progress:
    """Finished units, counted from the run's checkpoint as it grows, shown in a notebook cell
    (an IPython display updated in place); nothing outside IPython."""

    def __init__(self, checkpoint: Optional[Path], total: Optional[int]):
        self.path = checkpoint
        self.total = total
        self.offset = 0
        self.lines = 0
        self.handle = None
        try:
            from IPython import get_ipython
            from IPython.display import display

            if checkpoint is not None and get_ipython() is not None:
                self.handle = display(self._text(), display_id=True)
        except ImportError:
            pass

    def _text(self) -> str:
        done = max(self.lines - 1, 0)  # the first line is the header
        of = f" of {self.total}" if self.total else ""
        return f"hdverify: {done}{of} units done"

    def update(self) -> None:
        if self.handle is None or self.path is None or not self.path.exists():
            return
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        self.offset += len(chunk)
        self.lines += chunk.count(b"\n")
        self.handle.update(self._text())


def run_interruptibly(
    fn: Callable[..., Any],
    *args: Any,
    progress: Optional[Path] = None,
    total: Optional[int] = None,
    **kwargs: Any,
) -> Any:
    """``fn(*args, **kwargs)`` in a worker thread; Ctrl-C stops the engine cleanly. With
    ``progress`` (the run's ``units.partial.jsonl``) a notebook shows the finished units."""
    box: List[Any] = [None]
    error: List[Optional[BaseException]] = [None]

    def target() -> None:
        try:
            box[0] = fn(*args, **kwargs)
        except BaseException as e:  # re-raised in the caller's thread
            error[0] = e

    t = threading.Thread(target=target, name="hdverify-run", daemon=True)
    t.start()
    shown = _Progress(progress, total)
    try:
        while t.is_alive():
            t.join(0.25)
            shown.update()
    except KeyboardInterrupt:
        _native.interrupt()
        t.join()
        raise
    if error[0] is not None:
        raise error[0]
    return box[0]
