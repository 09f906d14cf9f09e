"""An experiment: an algorithm, its config, its data and its mesh, ready to run.

:class:`Experiment` is what the loop (:mod:`.loop`) and the evaluation
entry point build from an experiment config: it validates the config (see
:mod:`.settings`), reads the data, and holds the compiled functions: the
guarded step (one step, or ``train.steps_per_call`` of them in a
``lax.scan``), sampling and reconstruction, all sharded over the mesh.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gengan_jax import algorithms, data, metrics
from gengan_jax.core import ConfigError, averaging, network_names
from gengan_jax.train import mesh as mesh_lib
from gengan_jax.train import multistep, nonfinite, schedule_check, settings


def _run_keys(seed: int) -> tuple[jax.Array, jax.Array, jax.Array]:
  """The keys of a run: for ``init``, for the training steps, for evaluation."""
  return tuple(jax.random.split(jax.random.key(seed), 3))


def parameter_average(algorithm, train_config: settings.TrainConfig):
  """``(init, train_step)`` of ``algorithm``, keeping an average of the
  parameters when ``train.ema_decay`` > 0 (:mod:`gengan_jax.core.averaging`)."""
  decay = train_config.ema_decay
  if not decay:
    return algorithm.init, algorithm.train_step
  return (averaging.averaging_init(algorithm.init),
          averaging.averaging_step(algorithm.train_step, decay))


def replicate(x: np.ndarray, mesh) -> jax.Array:
  """A host array that is the same on every process, as a replicated global array."""
  return jax.make_array_from_process_local_data(mesh_lib.replicated(mesh), np.asarray(x))


class Experiment:
  """An algorithm, its config, its data and its mesh, ready to run.

  Building one validates the whole config (keys, types, ranges), reads the
  data and checks that the networks fit it, all before anything is
  compiled; every problem is one :class:`ConfigError` line naming the
  setting and what is valid.

  Attributes:
    config: the experiment config.
    train_config: its ``train`` section (:class:`.settings.TrainConfig`).
    data_config: the common keys of its ``data`` section
      (:class:`.settings.DataConfig`).
    algorithm: the registered :class:`~gengan_jax.core.Algorithm`.
    algo_config: the algorithm's ``Config``, from the ``model`` section.
    dataset: the data.
    mesh: the device mesh; the batch is split over its ``'data'`` axis.
    init_fn, train_step: the algorithm's ``init`` and ``train_step``, which
      also start and move an average of the parameters when
      ``train.ema_decay`` > 0 (:func:`parameter_average`); the step's
      metrics hold each network's learning rate where it follows a schedule
      (:func:`.schedule_check.with_learning_rates`).
  """

  def __init__(self, config, *, devices=None):
    self.config = config
    settings.check_top_level(config)
    self.train_config = settings.train_config(config.train)
    self.data_config = settings.data_config(config.data)
    self.algorithm = algorithms.get(config.algorithm)
    self.algo_config = algorithms.from_mapping(self.algorithm.Config, config.model,
                                               prefix="model.")
    self.mesh = mesh_lib.make_mesh(devices)
    self.batch_size = self.data_config.batch_size
    try:
      mesh_lib.check_batch_size(self.batch_size, self.mesh)
    except ValueError as e:
      raise ConfigError(str(e)) from None
    self.dataset = settings.make_dataset(config.data, self.data_config.source)
    settings.check_fit(self.algorithm, self.algo_config, tuple(self.dataset.element_shape), self.dataset.name)
    self.num_batches = self.algorithm.num_batches(self.algo_config)
    self.seed = int(config.seed)
    rep = mesh_lib.replicated(self.mesh)
    # Made by a compiled function with a replicated output, so that in a
    # multi-process run every process holds the same global keys.
    keys = jax.jit(_run_keys, static_argnums=0, out_shardings=rep)(self.seed)
    self._init_key, self.run_key, self.eval_key = keys
    self.init_fn, self.train_step = parameter_average(self.algorithm, self.train_config)
    self.train_step = schedule_check.with_learning_rates(self.train_step)
    self._step = jax.jit(
        nonfinite.guard(self.train_step),
        in_shardings=(rep, mesh_lib.batch_sharding(self.mesh), rep, rep),
        out_shardings=(rep, rep, rep), donate_argnums=0)
    k = self.train_config.steps_per_call
    self._multi_step = None if k == 1 else jax.jit(
        multistep.guarded_multi_step(self.train_step, k),
        in_shardings=(rep, multistep.batches_sharding(self.mesh), rep, rep),
        out_shardings=(rep, rep, rep), donate_argnums=0)
    # Samples and reconstructions use the parameters' average where the run keeps one.
    self._sample = jax.jit(averaging.on_average(self.algorithm.sample), static_argnums=2,
                           out_shardings=rep)
    self._reconstruct = (jax.jit(averaging.on_average(self.algorithm.reconstruct),
                                 out_shardings=rep)
                         if self.algorithm.reconstruct is not None else None)

  def init_state(self):
    """The initial state, replicated over the mesh."""
    example = self.dataset.batch(0, self.batch_size, 1, seed=self.seed)[0]
    rep = mesh_lib.replicated(self.mesh)
    init = jax.jit(self.init_fn, static_argnums=1, out_shardings=rep)
    return init(self._init_key, self.algo_config, replicate(example, self.mesh))

  def _local_batch(self, step: int) -> np.ndarray:
    """This process's slice of the batch of ``step``, ``[num_batches, B_local, ...]``."""
    return self.dataset.batch(step, self.batch_size, self.num_batches, seed=self.seed,
                              process_index=jax.process_index(),
                              process_count=jax.process_count())

  def batch(self, step: int) -> jax.Array:
    """The global batch of ``step``, ``[num_batches, B, ...]``, sharded."""
    return data.shard_batch(self._local_batch(step), mesh_lib.batch_sharding(self.mesh))

  def batches(self, step: int, num_steps: int) -> jax.Array:
    """The global batches of steps ``step, ..., step + num_steps - 1``,
    ``[num_steps, num_batches, B, ...]``, sharded along ``B``."""
    local = np.stack([self._local_batch(t) for t in range(step, step + num_steps)])
    return data.shard_batch(local, multistep.batches_sharding(self.mesh))

  def run_steps(self, state, step: int, skipped):
    """Steps from ``step``: ``steps_per_call`` of them in one compiled call
    when ``step`` is a multiple of it, else one. Returns ``(state, metrics,
    health, num_steps)``; ``health`` is stacked per step for a multi-step
    call (see :func:`.multistep.first_unhealthy`)."""
    k = self.train_config.steps_per_call
    if k > 1 and step % k == 0 and step + k <= self.train_config.steps:
      state, step_metrics, health = self._multi_step(
          state, self.batches(step, k), self.run_key, skipped)
      return state, step_metrics, health, k
    state, step_metrics, health = self._step(state, self.batch(step), self.run_key, skipped)
    return state, step_metrics, health, 1

  def update_counts(self, state) -> dict[str, int]:
    """``{network: updates so far}``: each network's optimizer step count."""
    return {name: int(np.asarray(net.step)) for name, net in state.networks().items()}

  def sample(self, state, num: int) -> np.ndarray:
    """``num`` samples on the host (every process computes them)."""
    return np.asarray(self._sample(state, self.eval_key, num))

  def reconstruct(self, state, x: np.ndarray) -> np.ndarray:
    """Reconstructions of the host batch ``x`` (the same on every process), on the host.

    Only for algorithms with ``reconstruct``.
    """
    return np.asarray(self._reconstruct(state, replicate(x, self.mesh)))

  def evaluate(self, state) -> dict[str, float]:
    """Metrics that apply to this data: mode coverage for toy mixtures."""
    if isinstance(self.dataset, data.MixtureDataset):
      mix = self.dataset.mixture
      cov = metrics.mode_coverage(self.sample(state, self.train_config.eval_samples),
                                  mix.means, mix.std)
      return cov.as_dict()
    return {}

  def nonfinite_message(self, step: int, health, state) -> str:
    """The diagnostic for a non-finite ``health`` (``state``: any state of this run)."""
    shapes = jax.eval_shape(self.train_step, state,
                            jax.ShapeDtypeStruct((self.num_batches, self.batch_size)
                                                 + tuple(self.dataset.element_shape),
                                                 jnp.float32),
                            self.run_key)
    names = nonfinite.leaf_names(shapes[1], shapes[0])
    return nonfinite.diagnose(step, np.asarray(health.finite).tolist(), names,
                              networks=network_names(shapes[0]))
