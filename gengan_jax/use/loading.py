"""A trained run, loaded for use: :func:`load` and :class:`TrainedModel`.

``load(workdir)`` rebuilds a run's algorithm and config from the files
``gengan-train`` wrote and restores its newest good checkpoint onto the
caller's devices, whatever devices wrote it: a checkpoint holds every array
whole (orbax writes global arrays), so a state saved by 8 devices or by 2
processes restores onto one CPU and the reverse, bitwise.

Nothing of the training data is needed: the state's structure comes from
``jax.eval_shape`` of the algorithm's ``init`` on an example of the data's
shape, which the checkpoint's record holds (runs written before it did read
the shape off the data). Loading only reads: it creates, moves and writes
nothing in the run directory, so a run can be loaded while it trains. A
damaged checkpoint (one that fails its SHA-256 fingerprint, see
:mod:`gengan_jax.train.checkpoint`) is skipped with a warning and the next
older one restored, as a resumed run would; unlike a resumed run, it is left
where it is.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from typing import Any, Callable, Iterator, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from gengan_jax import algorithms
from gengan_jax.core import Algorithm, averaging
from gengan_jax.train import mesh as mesh_lib
from gengan_jax.train import population_spec, settings
from gengan_jax.train.population import with_values
from gengan_jax.train.checkpoint import Checkpointer
from gengan_jax.train.experiment import parameter_average

#: Examples per compiled call of :class:`TrainedModel`'s methods (their
#: default ``batch_size``): device memory holds one such batch at a time.
BATCH_SIZE = 500


class RunNotFoundError(FileNotFoundError):
  """A work directory that is missing, not a run's, or holds no checkpoint."""


def _read_config(path: str) -> ml_collections.ConfigDict:
  with open(path) as f:
    return ml_collections.ConfigDict(json.load(f))


@dataclasses.dataclass(frozen=True)
class _RunFiles:
  """Where a run's config and checkpoints are: a population member's
  checkpoints are its population's, at index ``member``."""
  config: ml_collections.ConfigDict
  checkpoints: str
  member: int | None = None


def _find_run(workdir: str) -> _RunFiles:
  """The run in ``workdir`` (a single run's or a population member's directory)."""
  if not os.path.isdir(workdir):
    what = "is a file" if os.path.exists(workdir) else "does not exist"
    raise RunNotFoundError(f"load: {workdir} {what}; pass the --workdir of a training run "
                           "(`gengan-train`).")
  config_path = os.path.join(workdir, "config.json")
  if not os.path.isfile(config_path):
    raise RunNotFoundError(f"load: {workdir} has no config.json; pass the --workdir of a "
                           "training run (`gengan-train`).")
  if os.path.isfile(os.path.join(workdir, "population.json")):
    raise RunNotFoundError(
        f"load: {workdir} is a population's work directory; load one member: "
        f"{os.path.join(workdir, 'members', '<i>')}.")
  config = _read_config(config_path)
  population_dir = os.path.dirname(os.path.dirname(workdir))
  population_json = os.path.join(population_dir, "population.json")
  if os.path.basename(os.path.dirname(workdir)) == "members" and os.path.isfile(population_json):
    return _RunFiles(config, os.path.join(population_dir, "checkpoints"),
                     member=int(os.path.basename(workdir)))
  return _RunFiles(config, os.path.join(workdir, "checkpoints"))


def _data_shape(config: ml_collections.ConfigDict, meta: dict[str, Any]) -> tuple[int, ...]:
  """One example's shape: from the checkpoint's record, else from the data."""
  if "data_shape" in meta:
    return tuple(int(d) for d in meta["data_shape"])
  data_config = settings.data_config(config.data)
  return tuple(settings.make_dataset(config.data, data_config.source).element_shape)


def abstract_state(init: Callable[..., Any], algo_config: Any, batch_size: int,
                   data_shape: tuple[int, ...], sharding) -> Any:
  """A state as ``jax.ShapeDtypeStruct`` leaves (no values computed).

  Args:
    init: the function that makes it, ``init(key, algo_config, batch)``: an
      algorithm's ``init``, or the one :func:`~gengan_jax.train.experiment.parameter_average`
      returns for a run that keeps an average of its parameters.
    algo_config: the algorithm's ``Config``.
    batch_size: the example batch's size ``init`` sees.
    data_shape: one example's shape.
    sharding: where each leaf is to be placed.

  Returns:
    The state's pytree (networks' ``apply_fn`` and the config included).
  """
  example = jax.ShapeDtypeStruct((batch_size,) + data_shape, jnp.float32)
  shapes = jax.eval_shape(lambda k, x: init(k, algo_config, x),
                          jax.random.key(0), example)
  return jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sharding),
                      shapes)


def _abstract_population_state(algorithm: Algorithm, config: ml_collections.ConfigDict,
                               batch_size: int, data_shape: tuple[int, ...], sharding) -> Any:
  """A population's state (see :mod:`gengan_jax.train.population`) as
  ``jax.ShapeDtypeStruct`` leaves: every member's state stacked, built as the
  population builds it (member 0's config with the varying floats traced, so
  a varying learning rate's optimizer state has ``inject_hyperparams``'s
  structure), without reading any data."""
  spec = population_spec.parse(config, algorithm.Config)
  members = [algorithms.from_mapping(algorithm.Config, spec.member_config(config, m.index).model,
                                     prefix=f"population member {m.index}: model.")
             for m in spec.members]
  varying = population_spec.varying_floats(members)
  init, _ = parameter_average(algorithm, settings.train_config(config.train))

  def init_member(key, values, example):
    state = init(key, with_values(members[0], values), example)
    return state.replace(config=members[0])

  size = spec.size
  shapes = jax.eval_shape(
      jax.vmap(init_member), jax.random.split(jax.random.key(0), size),
      {p: jax.ShapeDtypeStruct((size,), jnp.float32) for p in varying},
      jax.ShapeDtypeStruct((size, batch_size) + data_shape, jnp.float32))
  return jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sharding),
                      shapes)


def _newest_meta(ckpt: Checkpointer, step: int | None) -> dict[str, Any]:
  steps = sorted(ckpt.all_steps(), reverse=True)
  for s in ([step] if step is not None else steps):
    try:
      return ckpt.read_meta(s)
    except Exception:  # pylint: disable=broad-except  (damaged: restore says how)
      continue
  return {}


def load(workdir: str, step: int | None = None, *,
         devices: Sequence[jax.Device] | None = None, average: bool = True) -> "TrainedModel":
  """Loads a trained run: its algorithm, config and restored state.

  Args:
    workdir: a run directory written by ``gengan-train``, or a population
      member's (``<population workdir>/members/<i>``).
    step: the checkpoint to restore (default: the newest good one).
    devices: where the state goes, replicated (default: the first local
      device).
    average: for a run that kept an average of its parameters
      (``train.ema_decay`` > 0), whether the model's networks use it (the
      default, as the run's own evaluations did) or the trained parameters
      themselves (``False``). Runs without an average ignore it.

  Returns:
    A :class:`TrainedModel`.

  Raises:
    RunNotFoundError: ``workdir`` is missing, not a run, or has no checkpoint
      (or none at ``step``).
    ConfigError: its config no longer builds (e.g. an algorithm renamed).
    gengan_jax.train.checkpoint.CheckpointError: the checkpoint at ``step``,
      or every checkpoint, is damaged.
  """
  workdir = os.path.abspath(workdir)
  run = _find_run(workdir)
  config = run.config
  if not os.path.isdir(run.checkpoints):
    raise RunNotFoundError(f"load: no checkpoint in {run.checkpoints} (the run saved none yet).")
  settings.check_top_level(config)
  algorithm = algorithms.get(config.algorithm)
  algo_config = algorithms.from_mapping(algorithm.Config, config.model, prefix="model.")
  batch_size = settings.data_config(config.data).batch_size
  devices = list(devices) if devices is not None else [jax.local_devices()[0]]
  sharding = mesh_lib.replicated(mesh_lib.make_mesh(devices))
  ckpt = Checkpointer(run.checkpoints, read_only=True)
  try:
    available = ckpt.all_steps()
    if not available:
      raise RunNotFoundError(f"load: no checkpoint in {run.checkpoints} (the run saved none yet).")
    if step is not None and step not in available:
      raise RunNotFoundError(f"load: no checkpoint of step {step} in {run.checkpoints}; "
                             f"it has steps {sorted(available)}.")
    data_shape = _data_shape(config, _newest_meta(ckpt, step))
    if run.member is None:
      init, _ = parameter_average(algorithm, settings.train_config(config.train))
      template = abstract_state(init, algo_config, batch_size, data_shape, sharding)
    else:
      template = _abstract_population_state(
          algorithm, _read_config(os.path.join(os.path.dirname(run.checkpoints), "config.json")),
          batch_size, data_shape, sharding)
    if step is None:
      state, _, step = ckpt.restore_latest_good(template)
    else:
      state, _ = ckpt.restore(template, step)
  finally:
    ckpt.close()
  if run.member is not None:
    state = jax.tree.map(lambda x: x[run.member], state).replace(config=algo_config)
  # The chosen parameters, and no average left to be swapped in by the run's
  # own sampling functions (gengan_jax.train.experiment).
  state = averaging.without_average(averaging.averaged(state) if average else state)
  return TrainedModel(algorithm=algorithm, config=config, state=state, step=int(step),
                      workdir=workdir, data_shape=data_shape, devices=tuple(devices))


@dataclasses.dataclass(frozen=True, eq=False)
class TrainedModel:
  """A restored run, ready to sample, encode, reconstruct and score.

  Every method works in batches of ``batch_size`` examples (one compiled
  shape; the last batch is padded): device memory holds one batch at a
  time, and results come back to the host as numpy arrays.

  Attributes:
    algorithm: the registered algorithm.
    config: the run's experiment config (``config.json``).
    state: the restored state (replicated over ``devices``); for a run that
      kept an average of its parameters, its networks' parameters are the
      average unless loaded with ``average=False``.
    step: the checkpoint's step.
    workdir: the run directory.
    data_shape: one example's shape (what ``encode`` and friends take).
    devices: where ``state`` is.
  """

  algorithm: Algorithm
  config: ml_collections.ConfigDict
  state: Any
  step: int
  workdir: str
  data_shape: tuple[int, ...]
  devices: tuple[jax.Device, ...]

  @property
  def name(self) -> str:
    return self.algorithm.name

  @property
  def has_encoder(self) -> bool:
    return self.algorithm.encode is not None

  @property
  def has_likelihood(self) -> bool:
    return self.algorithm.log_likelihood is not None

  @functools.cached_property
  def _sharding(self):
    return mesh_lib.replicated(mesh_lib.make_mesh(list(self.devices)))

  @functools.cached_property
  def _sample(self):
    return jax.jit(self.algorithm.sample, static_argnums=2, out_shardings=self._sharding)

  def iter_samples(self, num: int, *, seed: int = 0,
                   batch_size: int = BATCH_SIZE) -> Iterator[np.ndarray]:
    """``num`` samples in host batches of at most ``batch_size``.

    Batch ``i`` is ``sample(state, fold_in(key(seed), i), batch_size)``
    (the last cut to size): the samples depend on ``seed`` and
    ``batch_size``, not on how many are drawn.
    """
    _check_count("num", num)
    _check_count("batch_size", batch_size)
    key = jax.random.key(seed)
    for i, start in enumerate(range(0, num, batch_size)):
      out = self._sample(self.state, jax.random.fold_in(key, i), batch_size)
      yield np.asarray(out, np.float32)[:min(batch_size, num - start)]

  def sample(self, num: int, *, seed: int = 0, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """``num`` samples ``[num, ...]`` (see :meth:`iter_samples`)."""
    return np.concatenate(list(self.iter_samples(num, seed=seed, batch_size=batch_size)))

  def _compiled(self, what: str, **kwargs: Any) -> Any:
    """The jitted ``what`` (with ``kwargs`` bound), made once per model and settings:
    repeated calls of a method reuse one compiled program."""
    cache = self.__dict__.setdefault("_compiled_cache", {})
    key = (what, tuple(sorted(kwargs.items())))
    if key not in cache:
      fn = self.require(what)
      cache[key] = jax.jit(functools.partial(fn, **kwargs) if kwargs else fn,
                           out_shardings=self._sharding)
    return cache[key]

  def require(self, what: str) -> Any:
    """The algorithm's ``what`` (``encode``, ``reconstruct``, ``log_likelihood``).

    Raises:
      ValueError: the model has none (one line naming the algorithms that do).
    """
    fn = getattr(self.algorithm, what)
    if fn is None:
      having = sorted(n for n, a in algorithms.REGISTRY.items() if getattr(a, what) is not None)
      raise ValueError(f"{self.name} has no {what} (its model has no "
                       f"{'likelihood' if what == 'log_likelihood' else 'encoder'}); "
                       f"algorithms with one: {', '.join(having)}.")
    return fn

  def _map(self, fn, x: Any, batch_size: int) -> Iterator[np.ndarray]:
    """``fn(x_batch)`` over host batches of ``x``, padded to ``batch_size``."""
    x = np.asarray(x, np.float32)
    shape = self.data_shape
    if x.shape[1:] != shape:
      raise ValueError(f"{self.name}: examples of shape {x.shape[1:]} given; the model "
                       f"takes {shape} (an array [N, {', '.join(map(str, shape))}]).")
    _check_count("batch_size", batch_size)
    if not len(x):
      raise ValueError(f"{self.name}: no examples given (an array [0, ...]).")
    for start in range(0, len(x), batch_size):
      chunk = x[start:start + batch_size]
      n = len(chunk)
      if n < batch_size:
        chunk = np.concatenate([chunk, np.repeat(chunk[-1:], batch_size - n, axis=0)])
      out = fn(jax.device_put(chunk, self._sharding), start)
      yield jax.tree.map(lambda a, n=n: np.asarray(a)[:n], out)

  def iter_encode(self, x: Any, *, batch_size: int = BATCH_SIZE) -> Iterator[np.ndarray]:
    fn = self._compiled("encode")
    return self._map(lambda b, _: fn(self.state, b), x, batch_size)

  def encode(self, x: Any, *, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """The codes of ``x [N, ...]`` (the encoder's mean or deterministic code)."""
    return np.concatenate(list(self.iter_encode(x, batch_size=batch_size)))

  def iter_reconstruct(self, x: Any, *, batch_size: int = BATCH_SIZE) -> Iterator[np.ndarray]:
    fn = self._compiled("reconstruct")
    return self._map(lambda b, _: fn(self.state, b), x, batch_size)

  def reconstruct(self, x: Any, *, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """The reconstructions of ``x [N, ...]``."""
    return np.concatenate(list(self.iter_reconstruct(x, batch_size=batch_size)))

  def log_likelihood(self, x: Any, *, seed: int = 0, batch_size: int = BATCH_SIZE,
                     **kwargs: Any) -> np.ndarray:
    """``log p(x)`` per example, in nats: exact, or the model's bound (see its
    algorithm's ``log_likelihood``; ``kwargs`` go to it, e.g. ``num_samples``).
    Batch ``i`` uses the key ``fold_in(key(seed), i)``."""
    fn = self._compiled("log_likelihood", **kwargs)
    key = jax.random.key(seed)
    return np.concatenate(list(self._map(
        lambda b, start: fn(self.state, b, jax.random.fold_in(key, start // batch_size)),
        x, batch_size)))


def _check_count(name: str, value: Any) -> None:
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
    raise ValueError(f"{name}={value!r} is invalid: must be a positive integer.")
