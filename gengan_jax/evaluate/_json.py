"""JSON-safe values for ``evaluation.json``."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def finite(x: Any) -> float | int | str:
  """A JSON-safe number: ints kept; non-finite floats as 'inf', '-inf', 'nan'.

  Args:
    x: a Python or numpy number.

  Returns:
    ``int(x)`` for integers (not booleans), ``float(x)`` when finite, else its
    string.
  """
  if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
    return int(x)
  x = float(x)
  return x if math.isfinite(x) else str(x)


def jsonable(x: Any) -> Any:
  """Numbers, arrays, named tuples, dataclasses and dicts as JSON-able values.

  Args:
    x: any nesting of dicts, lists, tuples, named tuples, dataclasses, arrays
      and scalars.

  Returns:
    The same nesting with string keys, arrays as (nested) lists and
    non-finite floats as strings (see :func:`finite`).
  """
  if isinstance(x, dict):
    return {str(k): jsonable(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return [jsonable(v) for v in x]
  if hasattr(x, "_asdict"):
    return jsonable(x._asdict())
  if hasattr(x, "__dataclass_fields__"):
    return jsonable(dataclasses.asdict(x))
  a = np.asarray(x) if not isinstance(x, str) else x
  if isinstance(a, np.ndarray):
    if a.ndim == 0:
      v = a.item()
      return finite(v) if isinstance(v, float) else v
    return jsonable(a.tolist())
  if isinstance(x, float):
    return finite(x)
  return x
