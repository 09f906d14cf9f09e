"""The evaluation classifier: saving, loading and applying it.

"MNIST FID", "MNIST IS" and the Stacked MNIST mode counter need a classifier
trained on MNIST itself (Rosca et al. 2017, Sec. 6: the score depends on the
classifier, and one trained on the same data is the meaningful one). This
module stores one as an orbax checkpoint plus a small JSON file:

* ``<path>/params/``: the network's parameters (orbax ``StandardCheckpointer``);
* ``<path>/classifier.json``: the :class:`~gengan_jax.nets.classifier.MNISTClassifier`
  fields, the input shape and how it was trained (held-out accuracy, data).

The library ships such a checkpoint as package data in
``gengan_jax/assets/mnist_classifier`` (made by ``python -m
experiments.train_classifier``; ~0.8 MB), so an installed library computes
the MNIST metrics without a checkout.
:func:`load_mnist_classifier` reads it from there, from the directory named
by the environment variable ``GENGAN_MNIST_CLASSIFIER``, or from ``path``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from gengan_jax.nets.classifier import MNISTClassifier

__all__ = [
    "DEFAULT_CLASSIFIER_PATH",
    "ENV_VAR",
    "MAKE_WEIGHTS_COMMAND",
    "apply_in_batches",
    "classifier_path",
    "load_classifier",
    "load_mnist_classifier",
    "save_classifier",
    "stacked_digits",
    "stacked_logits",
]

ENV_VAR = "GENGAN_MNIST_CLASSIFIER"
DEFAULT_CLASSIFIER_PATH = os.path.normpath(os.path.join(
    os.path.dirname(__file__), "..", "assets", "mnist_classifier"))
MAKE_WEIGHTS_COMMAND = (
    "python -m experiments.train_classifier --data_dir=<folder with MNIST IDX "
    "files> --output=<path>")
_META_FILE = "classifier.json"
_PARAMS_DIR = "params"
_MODULE_FIELDS = ("num_classes", "conv_features", "feature_dim", "dropout_rate")


def classifier_path(path: str | os.PathLike | None = None) -> str:
  """Where the classifier lives: ``path``, else ``$GENGAN_MNIST_CLASSIFIER``,
  else :data:`DEFAULT_CLASSIFIER_PATH`; returned as an absolute path."""
  if path is None:
    path = os.environ.get(ENV_VAR) or DEFAULT_CLASSIFIER_PATH
  return os.path.abspath(os.fspath(path))


def save_classifier(path: str | os.PathLike, module: MNISTClassifier,
                    params: Any, *, input_shape: tuple[int, int, int],
                    meta: Mapping[str, Any] | None = None) -> str:
  """Saves a classifier's parameters (orbax) and description (JSON).

  Args:
    path: the directory to write; it must not exist yet or be empty-able
      (an existing classifier there is replaced).
    module: the network (its fields are recorded to rebuild it).
    params: its ``params`` collection.
    input_shape: ``(H, W, C)`` of one input image.
    meta: anything else worth recording (accuracy, data, command), JSON-able.

  Returns:
    The absolute path written.
  """
  path = classifier_path(path)
  os.makedirs(path, exist_ok=True)
  params_dir = os.path.join(path, _PARAMS_DIR)
  with ocp.StandardCheckpointer() as ckptr:
    ckptr.save(params_dir, jax.device_get(params), force=True)
    ckptr.wait_until_finished()
  record = {
      "module": {k: (list(v) if isinstance(v, (tuple, list)) else v)
                 for k, v in ((f, getattr(module, f)) for f in _MODULE_FIELDS)},
      "input_shape": [int(d) for d in input_shape],
      "meta": dict(meta or {}),
  }
  with open(os.path.join(path, _META_FILE), "w") as f:
    json.dump(record, f, indent=2)
  return path


def _missing_message(path: str, what: str) -> str:
  return (
      f"load_mnist_classifier: {what} at {path!r}. The evaluation classifier "
      f"(for MNIST FID/KID/IS and the Stacked MNIST mode count) is made by "
      f"training it on MNIST (~5 CPU minutes): `{MAKE_WEIGHTS_COMMAND}` "
      f"(the default output is {DEFAULT_CLASSIFIER_PATH!r}); then pass "
      f"path=<path> or set ${ENV_VAR}=<path>.")


def load_classifier(
    path: str | os.PathLike | None = None
) -> tuple[MNISTClassifier, Any, dict[str, Any]]:
  """Loads a classifier written by :func:`save_classifier`.

  Args:
    path: its directory (default: see :func:`classifier_path`).

  Returns:
    ``(module, params, record)`` where ``record`` is the JSON description
    (``module`` fields, ``input_shape``, ``meta``).

  Raises:
    FileNotFoundError: no classifier at ``path``; the message says how to
      make one.
  """
  path = classifier_path(path)
  meta_file = os.path.join(path, _META_FILE)
  params_dir = os.path.join(path, _PARAMS_DIR)
  if not os.path.isdir(path):
    raise FileNotFoundError(_missing_message(path, "no classifier directory"))
  if not os.path.isfile(meta_file) or not os.path.isdir(params_dir):
    raise FileNotFoundError(_missing_message(
        path, f"no classifier weights ({_META_FILE} and {_PARAMS_DIR}/)"))
  with open(meta_file) as f:
    record = json.load(f)
  fields = dict(record["module"])
  fields["conv_features"] = tuple(fields["conv_features"])
  module = MNISTClassifier(**fields)
  shape = tuple(record["input_shape"])
  abstract = jax.eval_shape(
      lambda: module.init(jax.random.key(0), jnp.zeros((1,) + shape),
                          train=False)["params"])
  with ocp.StandardCheckpointer() as ckptr:
    params = ckptr.restore(params_dir, abstract)
  return module, params, record


def apply_in_batches(fn: Callable[[jax.Array], jax.Array], x: np.ndarray, *,
                     batch_size: int = 500) -> np.ndarray:
  """``fn`` over ``x`` in chunks of ``batch_size`` examples, on the host.

  Args:
    fn: a function of a batch ``[b, ...]`` returning ``[b, ...]``.
    x: the inputs ``[N, ...]``.
    batch_size: chunk size (the last chunk is padded, so ``fn`` compiles for
      one shape only).

  Returns:
    ``np.concatenate([fn(chunk) ...])``, ``[N, ...]``.
  """
  if not isinstance(batch_size, int) or batch_size < 1:
    raise ValueError(f"apply_in_batches: batch_size must be a positive int, "
                     f"got {batch_size!r}.")
  x = np.asarray(x)
  n = x.shape[0]
  if n == 0:
    raise ValueError("apply_in_batches: x has no examples.")
  outs = []
  for start in range(0, n, batch_size):
    chunk = x[start:start + batch_size]
    m = chunk.shape[0]
    if m < batch_size and n > batch_size:
      chunk = np.concatenate([chunk, np.repeat(chunk[-1:], batch_size - m, 0)])
    outs.append(np.asarray(fn(chunk))[:m])
  return np.concatenate(outs)


def load_mnist_classifier(
    path: str | os.PathLike | None = None
) -> tuple[Callable[[jax.Array], jax.Array], Callable[[jax.Array], jax.Array]]:
  """The evaluation classifier as two jitted functions.

  Args:
    path: the classifier directory (default: ``$GENGAN_MNIST_CLASSIFIER`` or
      :data:`DEFAULT_CLASSIFIER_PATH`, the library's own weights).

  Returns:
    ``(logits_fn, features_fn)``: images ``[B, 28, 28, 1]`` in ``[-1, 1]`` ->
    logits ``[B, 10]`` and penultimate features ``[B, 128]`` (dropout off).

  Raises:
    FileNotFoundError: the weights are missing; the message gives the command
      that makes them (``python -m experiments.train_classifier``).
  """
  module, params, _ = load_classifier(path)

  @jax.jit
  def logits_fn(x):
    return module.apply({"params": params}, x, train=False)

  @jax.jit
  def features_fn(x):
    return module.apply({"params": params}, x, method=MNISTClassifier.features)

  return logits_fn, features_fn


def stacked_logits(logits_fn: Callable[[jax.Array], jax.Array],
                   images: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
  """The classifier's logits for each channel of Stacked MNIST images.

  Args:
    logits_fn: a single-channel classifier, ``[b, H, W, 1] -> [b, 10]``.
    images: ``[N, H, W, 3]`` in ``[-1, 1]``.
    batch_size: images per classifier call.

  Returns:
    float ``[N, 3, 10]``: the logits of the digit in each channel.
  """
  images = np.asarray(images, np.float32)
  if images.ndim != 4 or images.shape[-1] != 3:
    raise ValueError(
        f"Stacked MNIST images must be [N, H, W, 3] (three stacked digits); "
        f"got shape {images.shape}.")
  n = images.shape[0]
  # [N, H, W, 3] -> [3N, H, W, 1], channel-major so each channel is contiguous.
  per_channel = np.moveaxis(images, -1, 0)[..., None].reshape(
      (3 * n,) + images.shape[1:3] + (1,))
  logits = np.asarray(apply_in_batches(logits_fn, per_channel, batch_size=batch_size))
  return logits.reshape(3, n, -1).transpose(1, 0, 2)


def stacked_digits(logits_fn: Callable[[jax.Array], jax.Array],
                   images: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
  """Classifies each channel of Stacked MNIST images as a digit.

  The mode of a Stacked MNIST image (Metz et al. 2017, Sec. 3.3.2; Srivastava
  et al. 2017, Sec. 5.3) is the triple of digits in its three channels, each
  read by an MNIST classifier: ``mode = 100 d_0 + 10 d_1 + d_2``.

  Args:
    logits_fn: a single-channel classifier, ``[b, H, W, 1] -> [b, 10]``.
    images: ``[N, H, W, 3]`` in ``[-1, 1]``.
    batch_size: images per classifier call.

  Returns:
    int64 ``[N, 3]``: the predicted digit of each channel (the argmax of
    :func:`stacked_logits`).
  """
  logits = stacked_logits(logits_fn, images, batch_size=batch_size)
  return np.argmax(logits, axis=-1).astype(np.int64)
