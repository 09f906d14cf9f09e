"""Optimizer choice and schedules by config; config errors name the setting."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gengan_jax.core import ConfigError, OptimizerConfig, from_mapping


def _updates(tx, grads_seq, params):
  state = tx.init(params)
  out = []
  for g in grads_seq:
    u, state = tx.update(g, state, params)
    params = optax.apply_updates(params, u)
    out.append(params)
  return out


GRADS = [{"w": jnp.array([0.5, -2.0, 1e-3])}, {"w": jnp.array([-0.1, 0.3, 4.0])},
         {"w": jnp.array([1.0, 1.0, -1.0])}]
PARAMS = {"w": jnp.array([1.0, 2.0, 3.0])}


@pytest.mark.parametrize("cfg, reference", [
    (OptimizerConfig(2e-4, 0.5, 0.999), optax.adam(2e-4, b1=0.5, b2=0.999)),
    (OptimizerConfig(5e-5, name="rmsprop", decay=0.99),
     optax.rmsprop(5e-5, decay=0.99, eps=1e-8)),
    (OptimizerConfig(1e-2, name="rmsprop", momentum=0.9),
     optax.rmsprop(1e-2, decay=0.9, eps=1e-8, momentum=0.9)),
    (OptimizerConfig(0.1, name="sgd"), optax.sgd(0.1)),
    (OptimizerConfig(0.1, name="sgd", momentum=0.5), optax.sgd(0.1, momentum=0.5)),
])
def test_optimizers_are_optax_s(cfg, reference):
  for a, b in zip(_updates(cfg.make(), GRADS, PARAMS), _updates(reference, GRADS, PARAMS)):
    np.testing.assert_array_equal(a["w"], b["w"])


def test_sgd_closed_form():
  """Plain SGD: w_t = w_0 - lr * sum of gradients."""
  out = _updates(OptimizerConfig(0.1, name="sgd").make(), GRADS, PARAMS)
  want = PARAMS["w"] - 0.1 * sum(g["w"] for g in GRADS)
  np.testing.assert_allclose(out[-1]["w"], want, rtol=1e-6)


def test_schedules_closed_forms():
  lr, end, t_decay, warm = 1e-3, 1e-4, 100, 10
  cosine = OptimizerConfig(lr, schedule="cosine", decay_steps=t_decay,
                           end_learning_rate=end).learning_rate_schedule()
  for t in (0, 25, 50, 100, 150):
    tt = min(t, t_decay)
    want = end + (lr - end) * 0.5 * (1 + np.cos(np.pi * tt / t_decay))
    np.testing.assert_allclose(float(cosine(t)), want, rtol=1e-5)
  linear = OptimizerConfig(lr, schedule="linear", decay_steps=t_decay, end_learning_rate=end,
                           warmup_steps=warm).learning_rate_schedule()
  np.testing.assert_allclose(float(linear(0)), 0.0, atol=1e-12)
  np.testing.assert_allclose(float(linear(5)), lr / 2, rtol=1e-5)
  np.testing.assert_allclose(float(linear(warm + 50)), lr + (end - lr) * 0.5, rtol=1e-5)
  np.testing.assert_allclose(float(linear(warm + 500)), end, rtol=1e-5)
  assert OptimizerConfig(lr).learning_rate_schedule() == lr  # constant: a float
  hold = 20
  held = OptimizerConfig(lr, schedule="cosine", decay_steps=t_decay, end_learning_rate=end,
                         warmup_steps=warm, hold_steps=hold).learning_rate_schedule()
  np.testing.assert_allclose(float(held(5)), lr / 2, rtol=1e-5)
  for t in (warm, warm + hold // 2, warm + hold):
    np.testing.assert_allclose(float(held(t)), lr, rtol=1e-6)
  np.testing.assert_allclose(float(held(warm + hold + 50)), end + (lr - end) * 0.5, rtol=1e-5)
  np.testing.assert_allclose(float(held(warm + hold + 500)), end, rtol=1e-5)


def test_a_schedule_drives_the_optimizer():
  """SGD on a constant gradient 1 moves by the sum of the scheduled rates."""
  cfg = OptimizerConfig(1.0, name="sgd", schedule="linear", decay_steps=4,
                        end_learning_rate=0.0)
  tx = cfg.make()
  params, state = {"w": jnp.zeros(())}, None
  state = tx.init(params)
  for _ in range(6):
    u, state = tx.update({"w": jnp.ones(())}, state, params)
    params = optax.apply_updates(params, u)
  np.testing.assert_allclose(float(params["w"]), -(1 + 0.75 + 0.5 + 0.25), rtol=1e-6)


@pytest.mark.parametrize("fields, message", [
    (dict(name="adagrad"), r"name='adagrad'.*'adam', 'rmsprop', 'sgd'"),
    (dict(schedule="step"), r"schedule='step'.*'constant', 'linear', 'cosine'"),
    (dict(schedule="cosine"), r"decay_steps=0.*>= 1"),
    (dict(hold_steps=5), r"hold_steps=5.*0 with schedule='constant'.*'linear' or 'cosine'"),
    (dict(schedule="linear", decay_steps=5, hold_steps=-1), r"hold_steps=-1"),
    (dict(momentum=1.0), r"momentum=1.0.*\[0, 1\)"),
    (dict(learning_rate=0.0), r"learning_rate=0.0.*> 0"),
    (dict(eps=0.0), r"eps=0.0.*> 0"),
])
def test_bad_optimizer_settings_name_the_setting(fields, message):
  with pytest.raises(ConfigError, match=message):
    from_mapping(OptimizerConfig, fields)


def test_from_mapping_prefixes_nested_names():
  with pytest.raises(ConfigError, match=r"model\.critic_optimizer\.name='adamw'"):
    from_mapping(OptimizerConfig, {"name": "adamw"}, prefix="model.critic_optimizer.")
