r"""A population: P runs of one algorithm trained as one compiled program.

The members differ in their seeds and in continuous hyper-parameters (see
:mod:`.population_spec`). Their states are stacked along a leading axis of
size ``P`` and one ``jax.vmap``-ed step updates them all:

.. math::

   (s^{(i)}_{t+1}, m^{(i)}_t) = \mathrm{train\_step}_{h^{(i)}}(s^{(i)}_t,
   b^{(i)}_t, k^{(i)}), \qquad i = 1, \dots, P,

where member ``i`` has its own run key :math:`k^{(i)}` and data
:math:`b^{(i)}_t` (both functions of its seed, exactly as in a single run)
and settings :math:`h^{(i)}`. A varying float of the algorithm's ``Config``
reaches the step as a traced value (the config is static in a single run);
a varying learning rate lives in the optimizer state
(``optax.inject_hyperparams``, see ``OptimizerConfig.make``). So member
``i`` computes what the single run with its seed and settings computes, up
to float rounding. With ``population.batching='map'`` each member runs the
single run's own program, one after another: bit for bit in the tests and
over the first steps of the paper-sized toy nets, but a rare last-bit
difference can appear later (DCGAN on the grid: 6e-8 in one of two members
after 50 steps; XLA's CPU kernels may round differently on a slice of a
stacked buffer) and, as for ``train.steps_per_call``, a GAN run then drifts
from the single run over thousands of steps. With ``'vmap'`` the batched
matrix products round differently from the start (within 1e-5 after 6
steps in the tests).

The members sit on a mesh axis of their own (``'member'``; see
:func:`.mesh.make_population_mesh`), each member's batch on ``'data'``. On
a CPU with the members on one device the program runs them one after
another (``jax.lax.map``) instead of as a batch axis (``population.batching``,
see :mod:`.population_spec`).

Non-finite steps are handled per member, inside the compiled program: the
guard of :mod:`.nonfinite` keeps a member's previous state, and under
``train.nonfinite='stop'`` (or after ``max_consecutive_skips`` under
``'skip'``) the member is stopped -- frozen from then on -- while the others
go on (:class:`MemberStatus`; the loop names it in a warning).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from flax import struct

from gengan_jax import algorithms, data, metrics
from gengan_jax.core import ConfigError, averaging, network_names
from gengan_jax.train import mesh as mesh_lib
from gengan_jax.train import nonfinite, population_spec
from gengan_jax.train.experiment import Experiment, _run_keys


class MemberStatus(struct.PyTreeNode):
  """Each member's health, carried from step to step (every field ``[P]``).

  Attributes:
    skipped: its non-finite steps so far (dropped updates).
    consecutive: its non-finite steps in a row, up to now.
    alive: whether it still trains.
    stopped_at: the step count after the step that stopped it (-1: alive).
    finite_at_stop: ``[P, L]``, the guard's per-leaf flags of that step.
  """

  skipped: jax.Array
  consecutive: jax.Array
  alive: jax.Array
  stopped_at: jax.Array
  finite_at_stop: jax.Array


def with_values(config: Any, values: dict[str, Any]) -> Any:
  """``config`` (a frozen ``Config``) with the settings ``{dotted path: value}``
  replaced, values that may be traced arrays (so no validation: the
  population validated every member's concrete values)."""
  out = copy.copy(config)
  for path, value in values.items():
    name, _, rest = path.partition(".")
    if rest:
      inner = copy.copy(getattr(out, name))
      object.__setattr__(inner, rest, value)
      value = inner
    object.__setattr__(out, name, value)
  return out


def _global(x: np.ndarray, sharding) -> jax.Array:
  """The host array ``x`` (the same on every process) as a global array."""
  x = np.asarray(x)
  return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])


def _where(keep: jax.Array, new: Any, old: Any) -> Any:
  """Per member: ``new`` where ``keep[i]``, else ``old`` (leaves ``[P, ...]``)."""
  return jax.tree.map(
      lambda n, o: jnp.where(keep.reshape(keep.shape + (1,) * (n.ndim - 1)), n, o), new, old)


class PopulationExperiment:
  """An experiment config with a ``population`` section, ready to run.

  It validates the base config as :class:`.Experiment` does (that object is
  :attr:`base`), then every member's settings, and compiles the population's
  step for a 2-D ``('member', 'data')`` mesh.

  Attributes:
    config: the experiment config (with ``population``).
    base: the :class:`.Experiment` of the config without ``population``
      (its seed, its settings): data, validation, the algorithm.
    population: the :class:`.population_spec.Population`.
    mesh: the ``('member', 'data')`` mesh.
  """

  def __init__(self, config, *, devices=None):
    self.config = config
    base_config = ml_collections.ConfigDict(copy.deepcopy(config.to_dict()))
    del base_config["population"]
    self.base = Experiment(base_config, devices=devices)
    self.algorithm = self.base.algorithm
    self.algo_config = self.base.algo_config
    self.train_config = self.base.train_config
    self.dataset = self.base.dataset
    self.batch_size = self.base.batch_size
    self.num_batches = self.base.num_batches
    self.seed = self.base.seed
    self.population = population_spec.parse(config, self.algorithm.Config)
    # Every member's settings pass the Config's checks; the floats that differ
    # between members (those named, and any a Config derives from them) are
    # traced, everything else is member 0's.
    member_configs = [algorithms.from_mapping(
        self.algorithm.Config, self.population.member_config(config, m.index).model,
        prefix=f"population member {m.index}: model.") for m in self.population.members]
    self.algo_config = member_configs[0]
    self.varying = population_spec.varying_floats(member_configs)
    self.size = self.population.size
    self.mesh = mesh_lib.make_population_mesh(self.size, devices)
    self.batching = self.population.batching
    if self.batching == "auto":
      on_cpu = self.mesh.devices.flat[0].platform == "cpu"
      self.batching = "map" if on_cpu and self.mesh.shape[mesh_lib.MEMBER_AXIS] == 1 else "vmap"
    try:
      mesh_lib.check_batch_size(self.batch_size, self.mesh)
    except ValueError as e:
      raise ConfigError(str(e)) from None
    members = mesh_lib.member_sharding(self.mesh)
    self._members = members
    self.values = {p: _global(np.asarray(v, np.float32), members)
                   for p, v in self.varying.items()}
    seeds = self.population.seeds
    # Made by a compiled function with a split output, so that in a
    # multi-process run every process holds its part of the same global keys.
    keys = jax.jit(lambda: tuple(jnp.stack([_run_keys(s)[j] for s in seeds]) for j in range(3)),
                   out_shardings=members)()
    self._init_keys, self.run_keys, self.eval_keys = keys
    self._guarded = nonfinite.guard(self._member_step)
    # The state stays split over the members; what the host reads (metrics,
    # status, samples) comes back whole to every process.
    rep = mesh_lib.replicated(self.mesh)
    self._step = jax.jit(self._population_step, donate_argnums=0,
                         out_shardings=(members, rep, rep))
    self._step_of = jax.jit(lambda state: state.step[0], out_shardings=rep)
    self._update_counts = jax.jit(
        lambda state: {n: net.step[0] for n, net in state.networks().items()},
        out_shardings=rep)
    k = self.train_config.steps_per_call
    self._multi_step = None if k == 1 else jax.jit(
        self._population_multi_step, donate_argnums=0, out_shardings=(members, rep, rep))
    self._sample = jax.jit(self._sample_all, static_argnums=1, out_shardings=rep)
    self._reconstruct = jax.jit(self._reconstruct_all, out_shardings=rep)
    self._sample_one = jax.jit(self._sample_one_of_all, static_argnums=4, out_shardings=rep)
    self._reconstruct_one = jax.jit(self._reconstruct_one_of_all, out_shardings=rep)
    # One program for the whole slice: slicing leaf by leaf launched one small
    # program with a collective per leaf, and on a busy CPU those interleaved
    # into XLA's rendezvous timeout (an abort).
    self._pick_member = jax.jit(lambda tree, i: jax.tree.map(lambda x: x[i], tree),
                                out_shardings=rep)
    self._check_traceable()

  def _over_members(self, fn):
    """``fn`` of one member, applied to every member (``population.batching``)."""
    if self.batching == "vmap":
      return jax.vmap(fn)
    return lambda *args: jax.lax.map(lambda a: fn(*a), args)

  # -- the members' functions, traced with their values ---------------------

  def _member_config(self, values):
    return with_values(self.algo_config, values)

  def _init_member(self, key, values, example):
    state = self.base.init_fn(key, self._member_config(values), example)
    return state.replace(config=self.algo_config)

  def _member_step(self, state, batch, key_and_values):
    key, values = key_and_values
    new, step_metrics = self.base.train_step(
        state.replace(config=self._member_config(values)), batch, key)
    return new.replace(config=self.algo_config), step_metrics

  def _population_step(self, state, batches, status: MemberStatus, keys, values):
    """One guarded step of every member; stops members as the policy says."""
    t = self.train_config
    new, step_metrics, health = self._over_members(self._guarded)(
        state, batches, (keys, values), status.skipped)
    consecutive = jnp.where(health.ok, 0, status.consecutive + 1)
    if t.nonfinite == "stop":
      fails = ~health.ok
    else:
      fails = consecutive >= t.max_consecutive_skips
    stops = status.alive & fails
    kept = _where(status.alive, new, state).replace(step=new.step)
    status = MemberStatus(
        skipped=jnp.where(status.alive, health.skipped, status.skipped),
        consecutive=consecutive,
        alive=status.alive & ~fails,
        stopped_at=jnp.where(stops, new.step, status.stopped_at),
        finite_at_stop=_where(stops, health.finite, status.finite_at_stop))
    step_metrics = dict(step_metrics, nonfinite_skips=status.skipped)
    return kept, step_metrics, status

  def _population_multi_step(self, state, batches, status, keys, values):
    def body(carry, b):
      s, st = carry
      s, m, st = self._population_step(s, b, st, keys, values)
      return (s, st), m
    (state, status), step_metrics = jax.lax.scan(body, (state, status), batches)
    return state, jax.tree.map(lambda v: v[-1], step_metrics), status

  def _sample_member(self, state, key, values, num: int):
    state = averaging.averaged(state)  # the parameters' average where the run keeps one
    return self.algorithm.sample(state.replace(config=self._member_config(values)), key, num)

  def _reconstruct_member(self, state, values, x):
    state = averaging.averaged(state)
    return self.algorithm.reconstruct(state.replace(config=self._member_config(values)), x)

  def _sample_all(self, state, num: int, keys, values):
    return jax.vmap(lambda s, k, v: self._sample_member(s, k, v, num))(state, keys, values)

  def _reconstruct_all(self, state, x, values):
    return jax.vmap(lambda s, v: self._reconstruct_member(s, v, x))(state, values)

  def _sample_one_of_all(self, state, keys, values, index, num: int):
    """Member ``index``'s samples, sliced inside the program (its shard may
    live on another process)."""
    pick = lambda tree: jax.tree.map(lambda x: x[index], tree)
    return self._sample_member(pick(state), pick(keys), pick(values), num)

  def _reconstruct_one_of_all(self, state, values, index, x):
    pick = lambda tree: jax.tree.map(lambda v: v[index], tree)
    return self._reconstruct_member(pick(state), pick(values), x)

  def _check_traceable(self) -> None:
    """Traces init and step once (no compilation): a varying setting that the
    algorithm uses in Python control flow or as a shape fails here, in one line."""
    if not self.varying:
      return
    try:
      state = jax.eval_shape(self.init_state)
      jax.eval_shape(self._population_step, state, self._batch_shapes(None),
                     self.initial_status(), self.run_keys, self.values)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
            jax.errors.TracerIntegerConversionError, TypeError) as e:
      names = ", ".join(f"model.{p}" for p in self.varying)
      raise ConfigError(
          f"population: {self.algorithm.name} uses {names} in Python control flow or "
          f"shapes, so it cannot vary inside one compiled program ({type(e).__name__}); "
          "vary it over separate runs (python -m experiments.sweep).") from None

  # -- state, data, status ---------------------------------------------------

  def init_state(self):
    """Every member's initial state, stacked ``[P, ...]``, split over ``'member'``."""
    examples = np.stack([self.dataset.batch(0, self.batch_size, 1, seed=m.seed)[0]
                         for m in self.population.members])
    init = jax.jit(jax.vmap(self._init_member), out_shardings=self._members)
    return init(self._init_keys, self.values, _global(examples, self._members))

  def initial_status(self, meta: dict[str, Any] | None = None) -> MemberStatus:
    """The members' status at the start, or as saved in a checkpoint's ``meta``."""
    p = self.size
    num_leaves = len(self.leaf_names())
    meta = meta or {}
    status = MemberStatus(
        skipped=np.asarray(meta.get("nonfinite_skips", [0] * p), np.int32),
        consecutive=np.zeros(p, np.int32),
        alive=np.asarray(meta.get("alive", [True] * p), bool),
        stopped_at=np.asarray(meta.get("stopped_at", [-1] * p), np.int32),
        finite_at_stop=np.ones((p, num_leaves), bool))
    return jax.tree.map(lambda x: _global(x, mesh_lib.replicated(self.mesh)), status)

  def _batch_shapes(self, num_steps: int | None):
    lead = () if num_steps is None else (num_steps,)
    return jax.ShapeDtypeStruct(
        lead + (self.size, self.num_batches, self.batch_size) + tuple(self.dataset.element_shape),
        jnp.float32)

  def batches(self, step: int, num_steps: int | None = None) -> jax.Array:
    """Every member's batch of ``step`` (``[P, num_batches, B, ...]``), or of
    ``num_steps`` steps from it (``[num_steps, P, ...]``); member ``i``'s is
    its single run's (a function of its seed and the step). Each process
    computes only the members and examples of its own devices."""
    lead = 0 if num_steps is None else 1
    shape = self._batch_shapes(num_steps).shape
    seeds = self.population.seeds
    cache: dict[tuple[int, int], np.ndarray] = {}

    def member_batch(t: int, m: int) -> np.ndarray:
      if (t, m) not in cache:
        cache[(t, m)] = self.dataset.batch(t, self.batch_size, self.num_batches,
                                           seed=seeds[m])
      return cache[(t, m)]

    def shard(index):
      steps = range(step, step + 1) if not lead else range(step, step + num_steps)[index[0]]
      rest = index[lead:]
      out = np.stack([np.stack([member_batch(t, m)[rest[1:]]
                                for m in range(self.size)[rest[0]]]) for t in steps])
      return out if lead else out[0]

    return jax.make_array_from_callback(
        shape, mesh_lib.member_batch_sharding(self.mesh, leading=lead), shard)

  def run_steps(self, state, step: int, status: MemberStatus):
    """As :meth:`.Experiment.run_steps`: ``(state, metrics, status, num_steps)``,
    every metric ``[P]``."""
    k = self.train_config.steps_per_call
    if k > 1 and step % k == 0 and step + k <= self.train_config.steps:
      state, step_metrics, status = self._multi_step(
          state, self.batches(step, k), status, self.run_keys, self.values)
      return state, step_metrics, status, k
    state, step_metrics, status = self.step(state, self.batches(step), status)
    return state, step_metrics, status, 1

  def step(self, state, batches, status: MemberStatus):
    """One compiled step of every member on ``batches`` (:meth:`batches`);
    ``state`` is donated. Returns ``(state, metrics, status)``."""
    return self._step(state, batches, status, self.run_keys, self.values)

  def step_of(self, state) -> int:
    """The members' (common) step count."""
    return int(self._step_of(state))

  def update_counts(self, state) -> dict[str, int]:
    """``{network: updates so far}`` of member 0 (the members step together),
    in the state's order of networks."""
    counts = self._update_counts(state)
    return {n: int(counts[n]) for n in network_names(state)}

  # -- evaluation -------------------------------------------------------------

  def sample(self, state, num: int) -> np.ndarray:
    """``[P, num, ...]``: each member's samples (with its evaluation key)."""
    return np.asarray(self._sample(state, num, self.eval_keys, self.values))

  def reconstruct(self, state, x: np.ndarray) -> np.ndarray:
    """``[P, n, ...]``: each member's reconstructions of the host batch ``x``."""
    return np.asarray(self._reconstruct(state, x, self.values))

  def evaluate(self, state) -> list[dict[str, float]]:
    """Each member's metrics that apply to this data (mode coverage for toy mixtures)."""
    if not isinstance(self.dataset, data.MixtureDataset):
      return [{} for _ in range(self.size)]
    mix = self.dataset.mixture
    samples = self.sample(state, self.train_config.eval_samples)
    return [metrics.mode_coverage(s, mix.means, mix.std).as_dict() for s in samples]

  def member_state(self, state, index: int):
    """Member ``index``'s state alone (its slice, with its own concrete config)."""
    member = self.population.member_config(self.config, index)
    cfg = algorithms.from_mapping(self.algorithm.Config, member.model, prefix="model.")
    return self._pick_member(state, jnp.int32(index)).replace(config=cfg)

  @functools.cached_property
  def _member_shapes(self):
    """``(state, metrics)`` shapes of one member's step."""
    state = jax.eval_shape(lambda: jax.tree.map(lambda x: x[0], self.init_state()))
    batch = jax.ShapeDtypeStruct((self.num_batches, self.batch_size)
                                 + tuple(self.dataset.element_shape), jnp.float32)
    values = {p: jnp.float32(0) for p in self.varying}
    return jax.eval_shape(self._member_step, state, batch, (self.base.run_key, values))

  def leaf_names(self) -> list[str]:
    """The names of the guard's per-leaf flags (see :func:`.nonfinite.leaf_names`)."""
    state, step_metrics = self._member_shapes
    return nonfinite.leaf_names(step_metrics, state)

  def nonfinite_message(self, index: int, status) -> str:
    """The diagnostic of member ``index``'s stop (``status`` on the host)."""
    step = int(status.stopped_at[index])
    text = nonfinite.diagnose(step, np.asarray(status.finite_at_stop[index]).tolist(),
                              self.leaf_names(), networks=network_names(self._member_shapes[0]))
    return f"{self.population.members[index].label()}: {text}"


class MemberView:
  """One member of a population seen as a single run's :class:`.Experiment`
  (what :func:`.pictures.write_pictures` reads): its seed, its samples and
  reconstructions with its own keys and settings."""

  def __init__(self, exp: PopulationExperiment, state, index: int):
    self.config, self.dataset, self.algorithm = exp.config, exp.dataset, exp.algorithm
    self.train_config = exp.train_config
    self.seed = exp.population.members[index].seed
    self._exp, self._state, self._index = exp, state, jnp.int32(index)

  def sample(self, state, num: int) -> np.ndarray:
    del state  # the population's, given at construction
    e = self._exp
    return np.asarray(e._sample_one(self._state, e.eval_keys, e.values, self._index, num))  # pylint: disable=protected-access

  def reconstruct(self, state, x: np.ndarray) -> np.ndarray:
    del state
    e = self._exp
    return np.asarray(e._reconstruct_one(self._state, e.values, self._index, x))  # pylint: disable=protected-access
