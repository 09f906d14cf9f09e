"""Outputs that cannot be written: one error that says what, where and why.

A run writes checkpoints, ``metrics.jsonl``, TensorBoard events, pictures,
``config.json`` and ``summary.json``. When the file system refuses (a full
disk, ``ENOSPC``; an exceeded quota, ``EDQUOT``; a read-only or vanished
mount), the loop stops with one :class:`WriteError` whose message names the
file and the step, the reason, and the newest good checkpoint to resume
from::

  no space left on device while writing the checkpoint of step 20 in
  /runs/a/checkpoints; the newest good checkpoint is step 10. Free some space
  and run the same command to resume.

Orbax and tensorstore report a full disk as a ``ValueError`` whose text
holds ``RESOURCE_EXHAUSTED ... [os_error_code='28']``, not as an
``OSError``; :func:`os_errno` reads the error number from either.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from types import EllipsisType

__all__ = ["WriteError", "os_errno", "reason", "write_file", "writing"]

_CODE = re.compile(r"os_error_code='?(\d+)")
_SPACE = (errno.ENOSPC, errno.EDQUOT)


def _chain(e: BaseException) -> Iterator[BaseException]:
  """``e``, its causes and contexts (each once)."""
  seen = set()
  while e is not None and id(e) not in seen:
    seen.add(id(e))
    yield e
    e = e.__cause__ or e.__context__


def os_errno(e: BaseException) -> int | None:
  """The operating system's error number behind ``e``, or ``None``.

  Reads ``OSError.errno`` anywhere in the chain of causes, else the
  ``os_error_code='N'`` or the "No space left on device" that tensorstore
  (orbax's array writer) puts in its messages.
  """
  for x in _chain(e):
    if isinstance(x, OSError) and x.errno:
      return x.errno
  for x in _chain(e):
    text = str(x)
    m = _CODE.search(text)
    if m:
      return int(m.group(1))
    if os.strerror(errno.ENOSPC) in text:
      return errno.ENOSPC
  return None


def reason(e: BaseException) -> str:
  """Why ``e`` happened, in a few words: ``'no space left on device'`` for
  ``ENOSPC``, the system's text for other error numbers, else the first line
  of the exception (``'ValueError: ...'``)."""
  code = os_errno(e)
  if code is not None:
    return os.strerror(code)[:1].lower() + os.strerror(code)[1:]
  text = " ".join(str(e).split())
  if len(text) > 300:
    text = text[:300] + " ..."
  return f"{type(e).__name__}: {text}" if text else type(e).__name__


class WriteError(RuntimeError):
  """An output of the run could not be written.

  Args:
    what: what was being written (``'the checkpoint of step 20'``).
    where: the file or directory.
    cause: the exception that stopped it.
    newest_good: the step of the newest good checkpoint, ``None`` when there
      is none, ``...`` when not known yet (the loop fills it in before the
      error leaves ``train``).
    note: a sentence added at the end (e.g. where the unfinished checkpoint went).

  Attributes:
    no_space: whether the disk (or the quota) is full.
  """

  def __init__(self, what: str, where: str, cause: BaseException, *,
               newest_good: int | None | EllipsisType = ..., note: str = ""):
    super().__init__(what, where)
    self.what, self.where, self.cause = what, where, cause
    self.newest_good = newest_good
    self.note = note
    self.no_space = os_errno(cause) in _SPACE

  def __str__(self) -> str:
    text = f"{reason(self.cause)} while writing {self.what} in {self.where}"
    if self.newest_good is None:
      text += "; there is no checkpoint yet"
    elif self.newest_good is not ...:
      text += f"; the newest good checkpoint is step {self.newest_good}"
    fix = "Free some space" if self.no_space else "Fix that"
    return f"{text}. {self.note + ' ' if self.note else ''}{fix} and run the same command to resume."


@contextlib.contextmanager
def writing(what: str, where: str) -> Iterator[None]:
  """Turns an ``OSError`` raised inside the block into a :class:`WriteError`."""
  try:
    yield
  except OSError as e:
    raise WriteError(what, where, e) from e


def write_file(path: str, text: str, what: str | None = None) -> None:
  """Writes ``text`` to ``path`` whole or not at all (a temporary file, then a
  rename): a failure leaves the previous file as it was.

  Raises:
    WriteError: it could not be written (``what``: default the file's name).
  """
  tmp = f"{path}.tmp{os.getpid()}"
  try:
    with open(tmp, "w") as f:
      f.write(text)
    os.replace(tmp, path)
  except OSError as e:
    with contextlib.suppress(OSError):
      os.remove(tmp)
    raise WriteError(what or os.path.basename(path), path, e) from e
