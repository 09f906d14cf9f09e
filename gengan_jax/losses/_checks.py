"""Trace-time argument checks shared by the loss modules (private)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def as_float_array(x: jax.typing.ArrayLike, name: str) -> jax.Array:
  """Converts ``x`` to a ``jax.Array`` and checks it has a floating dtype.

  Args:
    x: the argument.
    name: the argument's name, used in the error message.

  Returns:
    ``x`` as a ``jax.Array`` (unchanged dtype).

  Raises:
    TypeError: if ``x`` is not array-like or its dtype is not floating point.
  """
  try:
    arr = jnp.asarray(x)
  except TypeError as e:
    raise TypeError(
        f"`{name}` must be an array-like of floating dtype, got "
        f"{type(x).__name__}."
    ) from e
  if not jnp.issubdtype(arr.dtype, jnp.floating):
    raise TypeError(
        f"`{name}` must have a floating dtype (e.g. float32, bfloat16), got "
        f"dtype {arr.dtype}. Cast it first, e.g. `{name}.astype(jnp.float32)`."
    )
  return arr


def check_same_shape(
    a: jax.Array, b: jax.Array, name_a: str, name_b: str
) -> None:
  """Raises ValueError unless ``a`` and ``b`` have identical shapes."""
  if a.shape != b.shape:
    raise ValueError(
        f"`{name_a}` and `{name_b}` must have the same shape (no "
        f"broadcasting), got {name_a}.shape={a.shape} and "
        f"{name_b}.shape={b.shape}."
    )


def check_min_rank(x: jax.Array, rank: int, name: str, layout: str) -> None:
  """Raises ValueError if ``x.ndim < rank``."""
  if x.ndim < rank:
    raise ValueError(
        f"`{name}` must have rank >= {rank} with layout {layout}, got shape "
        f"{x.shape}."
    )


def check_broadcasts_to(
    x: jax.Array, shape: tuple[int, ...], name: str, target: str
) -> None:
  """Raises ValueError unless ``x`` broadcasts to ``shape`` unchanged."""
  try:
    out = np.broadcast_shapes(x.shape, shape)
  except ValueError:
    out = None
  if out != tuple(shape):
    raise ValueError(
        f"`{name}` must broadcast to {target}.shape={tuple(shape)}, got "
        f"{name}.shape={x.shape}."
    )


def check_positive_float(value, name: str, *, allow_zero: bool) -> None:
  """Checks a static (Python) hyper-parameter; traced values are not checked."""
  if isinstance(value, jax.core.Tracer):
    return
  try:
    v = float(value)
  except (TypeError, ValueError) as e:
    raise TypeError(
        f"`{name}` must be a real number, got {type(value).__name__}."
    ) from e
  ok = v >= 0.0 if allow_zero else v > 0.0
  if not ok or not np.isfinite(v):
    bound = ">= 0" if allow_zero else "> 0"
    raise ValueError(f"`{name}` must be finite and {bound}, got {value!r}.")
