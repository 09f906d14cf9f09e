"""The one update helper: gradients, optimizer step, and the batch-norm rule."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gengan_jax.core import OptimizerConfig, train_state as ts


class _BNNet(nn.Module):
  """Dense -> BatchNorm -> Dense, plus a second mutable collection counting calls."""

  @nn.compact
  def __call__(self, x, *, train):
    calls = self.variable("counters", "calls", lambda: jnp.zeros((), jnp.int32))
    if train and not self.is_initializing():
      calls.value += 1
    h = nn.Dense(4)(x)
    h = nn.BatchNorm(use_running_average=not train, momentum=0.5)(h)
    return nn.Dense(1)(jax.nn.relu(h))[:, 0]


def _state(seed=0):
  x = jax.random.normal(jax.random.key(seed), (6, 3))
  return ts.create(_BNNet(), jax.random.key(1), x, OptimizerConfig(1e-2, 0.5, 0.9)), x


def test_create_collects_every_non_param_collection_and_a_strong_step():
  state, _ = _state()
  assert sorted(state.collections) == ["batch_stats", "counters"]
  assert state.batch_stats is state.collections["batch_stats"]
  assert state.step.dtype == jnp.int32 and not state.step.weak_type


def test_minimize_is_value_and_grad_then_the_optimizer_with_chained_collections():
  state, x = _state()
  y = x * 2.0 + 1.0

  def loss(out_x, out_y):
    return jnp.mean(out_x ** 2) + jnp.mean(out_y)

  new, value, aux = ts.minimize(state, lambda net: (loss(net(x), net(y)), "aux"))

  def by_hand(params):
    variables = {"params": params, **state.collections}
    out_x, m1 = state.apply_fn(variables, x, train=True, mutable=["batch_stats", "counters"])
    out_y, m2 = state.apply_fn({"params": params, **m1}, y, train=True,
                               mutable=["batch_stats", "counters"])
    return loss(out_x, out_y), m2

  (want, collections), grads = jax.value_and_grad(by_hand, has_aux=True)(state.params)
  updates, _ = state.tx.update(grads, state.opt_state, state.params)
  params = optax.apply_updates(state.params, updates)
  assert aux == "aux"
  np.testing.assert_array_equal(value, want)
  jax.tree.map(np.testing.assert_array_equal, new.params, params)
  jax.tree.map(np.testing.assert_array_equal, new.collections, collections)
  assert int(new.collections["counters"]["calls"]) == 2  # both calls, in order
  assert int(new.step) == 1


def test_forward_leaves_the_running_statistics_alone():
  """The batch-norm rule: a pass through a network that is not being updated
  normalises with the batch's statistics (train=True) or the running ones
  (train=False), and changes no collection."""
  state, x = _state()
  state = ts.minimize(state, lambda net: (net(x).sum(), None))[0]  # non-trivial stats
  out_train = ts.forward(state, x + 3.0)
  want, _ = state.apply_fn({"params": state.params, **state.collections}, x + 3.0,
                           train=True, mutable=["batch_stats", "counters"])
  np.testing.assert_array_equal(out_train, want)
  out_eval = ts.forward(state, x + 3.0, train=False)
  np.testing.assert_array_equal(
      out_eval, state.apply_fn({"params": state.params, **state.collections}, x + 3.0,
                               train=False))
  assert not np.allclose(out_train, out_eval)


def test_a_pass_through_another_network_inside_a_loss_does_not_update_it():
  a, x = _state(0)
  b, _ = _state(1)
  new_a, _, _ = ts.minimize(a, lambda net: (ts.forward(b, net(x)[:, None] * jnp.ones((1, 3)))
                                           .sum(), None))
  assert int(new_a.collections["counters"]["calls"]) == 1
  jax.tree.map(np.testing.assert_array_equal, b.collections, _state(1)[0].collections)


class _Plain(nn.Module):

  @nn.compact
  def __call__(self, x, *, train):
    del train
    return nn.Dense(2)(x)


def test_networks_without_collections():
  x = jnp.ones((3, 4))
  module = _Plain()
  state = ts.create(module, jax.random.key(0), x, OptimizerConfig())
  assert state.collections == {} and state.batch_stats == {}
  new, value, _ = ts.minimize(state, lambda f: (jnp.sum(f(x) ** 2), None))
  assert new.collections == {} and np.isfinite(float(value))


@pytest.mark.parametrize("train", [True, False])
def test_jit_and_shapes(train):
  state, x = _state()
  out = jax.jit(lambda s, v: ts.forward(s, v, train=train))(state, x)
  assert out.shape == (6,)


def test_minimize_jointly_is_minimize_for_one_network():
  state, x = _state()
  loss_fn = lambda n: (jnp.mean(n(x) ** 2), None)  # pylint: disable=unnecessary-lambda-assignment
  one, loss_one, _ = ts.minimize(state, loss_fn)
  joint, loss_joint, _ = ts.minimize_jointly({"net": state}, lambda nets: loss_fn(nets["net"]))
  assert float(loss_one) == float(loss_joint)
  for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(joint["net"]), strict=True):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_minimize_jointly_takes_every_gradient_at_the_same_parameters():
  """Two networks on one loss: each steps on its partial derivative at the old
  parameters of both (not on the other's already-updated ones), by SGD."""
  a, x = _state(0)
  b, _ = _state(1)
  sgd = optax.sgd(0.1)
  a = a.replace(tx=sgd, opt_state=sgd.init(a.params))
  b = b.replace(tx=sgd, opt_state=sgd.init(b.params))

  def loss(pa, pb):
    out_a = a.apply_fn({"params": pa, **a.collections}, x, train=True, mutable=True)[0]
    out_b = b.apply_fn({"params": pb, **b.collections}, x, train=True, mutable=True)[0]
    return jnp.mean((out_a * out_b - 1.0) ** 2)

  ga, gb = jax.grad(loss, argnums=(0, 1))(a.params, b.params)
  new, value, _ = ts.minimize_jointly(
      {"a": a, "b": b}, lambda n: (jnp.mean((n["a"](x) * n["b"](x) - 1.0) ** 2), None))
  assert float(value) == pytest.approx(float(loss(a.params, b.params)), rel=1e-6)
  for old, grad, name in ((a, ga, "a"), (b, gb, "b")):
    expected = jax.tree.map(lambda p, g: p - 0.1 * g, old.params, grad)
    for e, got in zip(jax.tree.leaves(expected), jax.tree.leaves(new[name].params), strict=True):
      np.testing.assert_allclose(np.asarray(got), np.asarray(e), rtol=1e-5, atol=1e-7)
    assert int(new[name].collections["counters"]["calls"]) == 1
