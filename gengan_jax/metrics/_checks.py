"""Argument checks shared by the metric modules (private).

Metrics run on the host in float64 numpy where precision matters (Frechet
distance, KID, inception score, mode statistics): these helpers turn any
array-like (numpy, ``jax.Array``, lists) into validated numpy arrays and raise
errors that name the argument and what is valid.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np


def as_matrix(x: Any, name: str, *, dtype=np.float64, min_rows: int = 1) -> np.ndarray:
  """``x`` as a finite ``[N, D]`` numpy array of ``dtype`` with ``N >= min_rows``."""
  try:
    arr = np.asarray(x, dtype=dtype)
  except (TypeError, ValueError) as e:
    raise TypeError(f"`{name}` must be a numeric array-like of shape [N, D], "
                    f"got {type(x).__name__}.") from e
  if arr.ndim != 2:
    raise ValueError(f"`{name}` must have shape [N, D] (one feature vector per "
                     f"row), got shape {arr.shape}. Flatten features first, "
                     f"e.g. `{name}.reshape(len({name}), -1)`.")
  if arr.shape[0] < min_rows or arr.shape[1] < 1:
    raise ValueError(f"`{name}` needs at least {min_rows} rows and 1 column, "
                     f"got shape {arr.shape}.")
  if not np.all(np.isfinite(arr)):
    raise ValueError(f"`{name}` contains NaN or infinite values.")
  return arr


def check_same_dim(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
  if a.shape[1] != b.shape[1]:
    raise ValueError(f"`{name_a}` and `{name_b}` must have the same feature "
                     f"dimension, got {name_a}.shape={a.shape} and "
                     f"{name_b}.shape={b.shape}.")


def positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
  """``value`` as an ``int >= minimum`` (bools rejected)."""
  try:
    v = None if isinstance(value, bool) else operator.index(value)
  except TypeError:
    v = None
  if v is None or v < minimum:
    raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}.")
  return v


def positive_float(value: Any, name: str, *, allow_zero: bool = False) -> float:
  try:
    v = float(value)
  except (TypeError, ValueError) as e:
    raise TypeError(f"`{name}` must be a real number, got "
                    f"{type(value).__name__}.") from e
  ok = v >= 0 if allow_zero else v > 0
  if not (ok and np.isfinite(v)):
    raise ValueError(f"`{name}` must be finite and {'>= 0' if allow_zero else '> 0'}, "
                     f"got {value!r}.")
  return v
