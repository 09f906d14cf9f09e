"""Tiny configs and data shared by the algorithm tests."""

import jax
import numpy as np

from gengan_jax.train import mesh as mesh_lib

from gengan_jax import algorithms

ALGORITHMS = sorted(algorithms.REGISTRY)
# The two-player family's members run one train_step (algorithms/gan.py):
# dcgan (batch norm, no penalty, one discriminator update) and wgan_gp (a
# penalty, several discriminator updates in a lax.scan) cover its code paths;
# the others differ from them only in loss terms, which tests/losses and
# test_wiring.py check. The costly per-algorithm check whose subject is the
# step's code (the step on images) runs on DISTINCT_STEPS; 1 vs 8 devices on
# mlp runs on a representative subset (test_smoke.ONE_VS_EIGHT), on images
# under XLA's default pipeline on alpha-GAN (tests/algorithms/test_sharding.py);
# every registered algorithm still gets the mlp smoke test and the learning
# check.
FAMILY_REPRESENTATIVES = ("dcgan", "wgan_gp")


def _distinct_steps() -> list[str]:
  """One name per ``train_step`` function (a preset re-exports its family's:
  ``bigan`` is ``ali``'s step, ``beta_vae`` the VAE's), the family's
  representatives for the two-player family."""
  by_step: dict = {}
  for n in ALGORITHMS:
    by_step.setdefault(algorithms.get(n).train_step, []).append(n)
  return sorted(n for names in by_step.values()
                for n in ([m for m in names if m in FAMILY_REPRESENTATIVES] or names[:1]))


DISTINCT_STEPS = _distinct_steps()

TINY_MLP = dict(arch="mlp", latent_dim=4, hidden=(16, 16))
TINY_DCGAN = dict(arch="dcgan", latent_dim=4, base_features=4)


def tiny_config(name: str, arch: str = "mlp", **overrides):
  module = algorithms.get(name)
  fields = dict(TINY_MLP if arch == "mlp" else TINY_DCGAN)
  if name == "alpha_gan":
    fields["code_discriminator_hidden"] = (16, 16, 16)
  if name == "aae":
    fields["code_discriminator_hidden"] = (16, 16)
  if name == "wae_gan":
    fields["latent_discriminator_hidden"] = (16, 16)
  if name in ("ali", "bigan", "veegan"):
    fields["discriminator_hidden"] = (16,)
  if name == "avb":
    fields.update(adversary_hidden=(16, 16), noise_dim=4)
  if arch == "dcgan" and name.startswith("real_nvp"):
    # One scale (10 couplings instead of 16): the multi-scale recursion is
    # checked in tests/nets/test_real_nvp.py; this is about the step.
    fields["num_scales"] = 1
  fields.update(overrides)
  return module, algorithms.from_mapping(module.Config, fields)


def tiny_data(arch: str, num_batches: int, batch_size: int = 8, seed: int = 0):
  rng = np.random.default_rng(seed)
  shape = (2,) if arch == "mlp" else (28, 28, 1)
  return np.tanh(rng.normal(size=(num_batches, batch_size) + shape)).astype(np.float32)


def leaves_equal(a, b, *, rtol=0.0, atol=0.0):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def run_sharded(module, cfg, data, devices, steps, *, on_step=None, init_state=None):
  """``steps`` jitted steps on a mesh of ``devices`` (state replicated, batch
  sharded); returns the final state (on the host) and every step's metrics.
  ``on_step(i, state, metrics, step_fn)`` is called after step ``i``, and
  with ``i = -1`` (and no metrics) on the initial state.

  ``init_state`` (a state on the host, e.g. another mesh's initial state)
  starts the run instead of compiling ``module.init`` for this mesh: a
  replicated init computes the same numbers on any mesh, and its compile
  costs about as much as a step's."""
  mesh = mesh_lib.make_mesh(devices)
  if init_state is None:
    init = jax.jit(module.init, static_argnums=1, out_shardings=mesh_lib.replicated(mesh))
    state = init(jax.random.key(0), cfg, data[0])
  else:
    state = jax.device_put(init_state, mesh_lib.replicated(mesh))
  step = mesh_lib.shard_step(module.train_step, mesh)
  if on_step is not None:
    on_step(-1, state, None, step)
  batch = jax.device_put(data, mesh_lib.batch_sharding(mesh))
  history = []
  for i in range(steps):
    state, metrics = step(state, batch, jax.random.key(1))
    if on_step is not None:
      on_step(i, state, metrics, step)
    history.append(jax.device_get(metrics))
  return jax.device_get(state), history


def run_on_one_and_eight(module, cfg, data, steps):
  """:func:`run_sharded` on 1 device, then on 8 from the same initial state
  (one init compile for both); returns ``(s1, m1, s8, m8)``."""
  first = {}

  def keep_init(i, state, metrics, step):
    del metrics, step
    if i == -1:
      first["init"] = jax.device_get(state)

  s1, m1 = run_sharded(module, cfg, data, jax.devices()[:1], steps, on_step=keep_init)
  s8, m8 = run_sharded(module, cfg, data, jax.devices()[:8], steps, init_state=first["init"])
  return s1, m1, s8, m8


def _is_param(path) -> bool:
  names = [getattr(p, "name", getattr(p, "key", None)) for p in path]
  return "params" in names and "opt_state" not in names


def assert_one_device_equals_eight(s1, m1, s8, m8, *, lr=2e-4):
  """States and metrics after the same step on 1 and on 8 devices agree.

  Only the order of floating-point reductions differs between the two, so
  losses, gradients (Adam's first moments ``mu`` after one step are
  ``(1 - b1) * grad``) and batch-norm statistics agree closely. Parameters are
  compared with an absolute tolerance of one learning rate: Adam's first
  update is ``lr * g / (|g| + eps)``, so a gradient within rounding of zero
  may move its parameter by up to ``lr`` either way.
  """
  flat1, _ = jax.tree_util.tree_flatten_with_path(s1)
  flat8, _ = jax.tree_util.tree_flatten_with_path(s8)
  for (path, a), (_, b) in zip(flat1, flat8, strict=True):
    if _is_param(path):
      np.testing.assert_allclose(a, b, rtol=0, atol=lr, err_msg=jax.tree_util.keystr(path))
    else:
      np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-6, err_msg=jax.tree_util.keystr(path))
  for k in m1:
    np.testing.assert_allclose(m1[k], m8[k], rtol=1e-4, atol=1e-6, err_msg=k)
