"""NaN/Inf policies: the guard against optax.apply_if_finite, and the loop
with non-finite values injected through the data."""

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest
from flax import struct

from gengan_jax import data
from gengan_jax.train import loop, nonfinite, settings
from gengan_jax.train.checkpoint import Checkpointer
from gengan_jax.train.writers import read_metrics
from tests.train import _runs


class _ToyState(struct.PyTreeNode):
  params: dict
  opt_state: optax.OptState
  step: jax.Array


class _Toy:
  """One network, one Adam: the setting of optax.apply_if_finite."""

  def __init__(self):
    self.tx = optax.adam(0.1)

  def train_step(self, state, batch, key):
    del key
    params, opt_state, step = state.params, state.opt_state, state.step
    loss_fn = lambda p: jnp.mean((batch[0] - p["w"]) ** 2)
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = self.tx.update(grads, opt_state, params)
    new = _ToyState(optax.apply_updates(params, updates), opt_state, step + 1)
    return new, {"generator_loss": loss}


def test_skip_equals_optax_apply_if_finite():
  """Dropping a whole step's update when it is non-finite is apply_if_finite's
  rule; on one network with one optimizer the two give identical parameters."""
  toy = _Toy()
  guarded = jax.jit(nonfinite.guard(toy.train_step))
  params = {"w": jnp.array([0.5, -1.0])}
  state = _ToyState(params, toy.tx.init(params), jnp.int32(0))
  ref_tx = optax.apply_if_finite(optax.adam(0.1), max_consecutive_errors=100)
  ref_params, ref_opt = params, ref_tx.init(params)
  batches = [np.array([[1.0, 2.0]]), np.array([[np.nan, 0.0]]), np.array([[3.0, -1.0]]),
             np.array([[np.inf, 1.0]]), np.array([[0.0, 0.0]])]
  skipped = jnp.int32(0)
  for b in batches:
    state, metrics, health = guarded(state, jnp.asarray(b, jnp.float32), None, skipped)
    skipped = health.skipped
    grads = jax.grad(lambda p: jnp.mean((b - p["w"]) ** 2))(ref_params)
    updates, ref_opt = ref_tx.update(grads, ref_opt, ref_params)
    ref_params = optax.apply_updates(ref_params, updates)
    assert bool(health.ok) == bool(np.isfinite(b).all())
  np.testing.assert_allclose(state.params["w"], ref_params["w"], rtol=1e-6)
  assert int(skipped) == int(ref_opt.total_notfinite) == 2
  assert int(metrics["nonfinite_skips"]) == 2
  assert int(state.step) == len(batches)  # the step counter advances through skips.


def test_finite_flags_and_names_line_up():
  state = {"generator": {"params": {"w": jnp.array([1.0, jnp.nan])}, "step": jnp.int32(3)},
           "critic": {"params": {"w": jnp.array([jnp.inf])}}}
  metrics = {"critic_loss": jnp.float32(1.0), "generator_loss": jnp.float32(jnp.nan)}
  flags = np.asarray(jnp.concatenate([nonfinite.finite_flags(metrics),
                                      nonfinite.finite_flags(state)]))
  names = nonfinite.leaf_names(metrics, state)
  expected_bad = {"metrics/generator_loss", "generator/params/w", "critic/params/w"}
  assert {n for n, f in zip(names, flags) if not f} == expected_bad
  assert len(names) == len(flags) == 5
  msg = nonfinite.diagnose(9, flags, names, networks=("generator", "critic"))
  assert msg.startswith("step 9: NaN or Inf in ")
  assert "network 'generator': loss generator_loss, params/w" in msg
  assert "network 'critic': params/w" in msg


def test_code_discriminator_is_not_the_discriminator():
  names = ["metrics/code_discriminator_loss", "code_discriminator/params/w"]
  msg = nonfinite.diagnose(1, [False, False], names,
                           networks=("discriminator", "code_discriminator"))
  assert "network 'code_discriminator': loss code_discriminator_loss, params/w" in msg
  assert "network 'discriminator'" not in msg


def test_networks_are_named_by_the_state_not_a_fixed_list():
  """A network with a role no GAN has (a VAE's decoder) is found by its name."""
  names = ["metrics/decoder_loss", "decoder/params/w", "prior_scale"]
  msg = nonfinite.diagnose(2, [False, False, False], names, networks=("decoder",))
  assert "network 'decoder': loss decoder_loss, params/w" in msg
  assert msg.endswith("; prior_scale")


@pytest.fixture
def nan_data_allowed(monkeypatch):
  """Lets NaN data through the load check (which refuses it before anything
  is compiled: tests/train/test_validation.py), so that a NaN reaches a
  chosen step: the step guard's tests inject it that way."""
  monkeypatch.setattr(settings, "check_finite_data", lambda dataset, where: None)


def _nan_data_config(tmp_path, policy, steps, algorithm="alpha_gan"):
  """2-D Gaussian data with one NaN example, first read by the 3rd step
  (tests using it take the :func:`nan_data_allowed` fixture).

  Returns:
    (config, its dataset, the NaN example's index).
  """
  c = _runs.config(algorithm, steps, nonfinite=policy, checkpoint_every=1,
                   keep_checkpoints=100, log_every=1)
  x = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
  bad = int(data.ArrayDataset(x).indices(2, 8, 1, seed=c.seed)[0, 3])
  x[bad] = np.nan
  np.savez(tmp_path / "points.npz", x=x)
  c.data = ml_collections.ConfigDict(dict(source="npz", path=str(tmp_path / "points.npz"),
                                          batch_size=8))
  return c, data.make_dataset(c.data), bad


def _steps_with_nan(ds, c, steps, bad):
  """Training steps (1-based, as logged) whose batch holds example ``bad``."""
  return [t + 1 for t in range(steps)
          if bad in ds.indices(t, c.data.batch_size, 1, seed=c.seed)]


def test_stop_names_step_network_and_loss_and_keeps_the_last_good_checkpoint(
    tmp_path, nan_data_allowed):
  c, ds, index = _nan_data_config(tmp_path, "stop", 10)
  bad = _steps_with_nan(ds, c, 10, index)[0]  # computed from the data order alone
  assert bad == 3
  with pytest.raises(nonfinite.NonFiniteError) as e:
    loop.train(c, str(tmp_path / "run"))
  msg = str(e.value)
  assert msg.startswith(f"step {bad}: NaN or Inf in ")
  # alpha-GAN updates the encoder first: its loss is the first to see the NaN.
  assert "network 'encoder': loss encoder_loss" in msg
  assert "train.nonfinite='skip'" in msg
  ckpt = Checkpointer(str(tmp_path / "run" / "checkpoints"))
  assert ckpt.all_steps() == list(range(1, bad))
  assert f"the last good checkpoint is step {bad - 1}" in msg
  state, _ = ckpt.restore(loop.Experiment(c).init_state())
  assert all(np.isfinite(x).all() for x in _runs.leaves(state))
  ckpt.close()
  logged = read_metrics(str(tmp_path / "run" / "metrics.jsonl"))
  assert logged[-1]["step"] == bad and np.isnan(logged[-1]["encoder_loss"])


def test_skip_counts_the_dropped_updates_and_finishes(tmp_path, nan_data_allowed):
  steps = 12
  c, ds, index = _nan_data_config(tmp_path, "skip", steps)
  # Skips one step in five: a run of good steps restarts the count, so a
  # limit of 2 in a row is never reached.
  c.train.max_consecutive_skips = 2
  expected = _steps_with_nan(ds, c, steps, index)
  assert len(expected) >= 2  # 12 steps of 8 from 40 examples: every epoch has one.
  assert all(b - a > 1 for a, b in zip(expected, expected[1:]))
  summary, state = loop.train(c, str(tmp_path / "run"))
  assert summary["nonfinite_skips"] == len(expected)
  assert summary["step"] == steps and int(state.step) == steps
  assert all(np.isfinite(x).all() for x in _runs.leaves(state))
  logged = read_metrics(str(tmp_path / "run" / "metrics.jsonl"))
  skips = {r["step"]: r["nonfinite_skips"] for r in logged if "nonfinite_skips" in r}
  for t in range(1, steps + 1):
    assert skips[t] == sum(s <= t for s in expected), t
  # A skipped step leaves every network as it was: the checkpoint before a
  # skipped step equals the one after it (apart from the step counter).
  ckpt = Checkpointer(str(tmp_path / "run" / "checkpoints"))
  exp = loop.Experiment(c)
  t = expected[0]
  assert t == 3
  before, _ = ckpt.restore(exp.init_state(), t - 1)
  after, meta = ckpt.restore(exp.init_state(), t)
  assert int(after.step) == t and meta["nonfinite_skips"] == 1
  for a, b in zip(_runs.leaves(before.replace(step=after.step)), _runs.leaves(after)):
    np.testing.assert_array_equal(a, b)
  ckpt.close()


def test_skip_stops_after_max_consecutive_skips(tmp_path, nan_data_allowed):
  """Every example NaN: every step is skipped, and the run stops as 'stop'
  would at the limit, naming it, instead of skipping forever."""
  c, _, _ = _nan_data_config(tmp_path, "skip", 50, algorithm="gan")
  x = np.full((40, 2), np.nan, np.float32)
  np.savez(c.data.path, x=x)
  c.train.max_consecutive_skips = 4
  with pytest.raises(nonfinite.NonFiniteError) as e:
    loop.train(c, str(tmp_path / "run"))
  msg = str(e.value)
  assert msg.startswith("4 steps in a row were non-finite and skipped, the last step 4 "
                        "(train.max_consecutive_skips=4); step 4: NaN or Inf in "), msg
  assert "Stopped (train.nonfinite='skip'); the last good checkpoint is step 3" in msg
  # Checkpoints are written after skipped steps (the state is the last good one).
  assert Checkpointer(str(tmp_path / "run" / "checkpoints")).all_steps() == [1, 2, 3]


def test_an_absurd_learning_rate_stops_the_entry_point_with_one_line(tmp_path):
  res = _runs.run(str(tmp_path / "run"), "wgan_gp", 30,
                  extra=["--config.model.generator_optimizer.learning_rate=1e30",
                         "--config.model.critic_optimizer.learning_rate=1e30"])
  assert res.returncode == 1, res.stderr[-3000:]
  assert "Traceback" not in res.stderr
  last = res.stderr.strip().splitlines()[-1]
  assert last.startswith("error: step ") and "NaN or Inf in network '" in last, last
  assert os.path.isdir(tmp_path / "run" / "checkpoints")
