"""Tiny configs and data shared by the algorithm tests."""

import jax
import numpy as np

from gengan_jax import algorithms
from gengan_jax.algorithms import gan

ALGORITHMS = sorted(algorithms.REGISTRY)
# The two-player family's members run one train_step (algorithms/gan.py):
# dcgan (batch norm, no penalty, one discriminator update) and wgan_gp (a
# penalty, several discriminator updates in a lax.scan) cover its code paths;
# the others differ from them only in loss terms, which tests/losses and
# test_wiring.py check. The costly per-algorithm checks whose subject is the
# step's code (1 vs 8 devices, sharded image steps) run on DISTINCT_STEPS;
# every registered algorithm still gets the mlp smoke test and the learning
# check.
FAMILY_REPRESENTATIVES = ("dcgan", "wgan_gp")
DISTINCT_STEPS = [n for n in ALGORITHMS
                  if algorithms.get(n).train_step is not gan.train_step
                  or n in FAMILY_REPRESENTATIVES]

# The 1 vs 8 devices check on images (tests/algorithms/test_sharding.py):
# its subject there is the conv nets' batch norm and reductions over a
# sharded batch, which DCGAN's G and D and alpha-GAN's encoder and code
# discriminator cover; every distinct step runs on 1 vs 8 devices on the
# mlp arch, and sharded on images in test_smoke.py.
IMAGE_SHARDING = ("dcgan", "alpha_gan")

TINY_MLP = dict(arch="mlp", latent_dim=4, hidden=(16, 16))
TINY_DCGAN = dict(arch="dcgan", latent_dim=4, base_features=4)


def tiny_config(name: str, arch: str = "mlp", **overrides):
  module = algorithms.get(name)
  fields = dict(TINY_MLP if arch == "mlp" else TINY_DCGAN)
  if name == "alpha_gan":
    fields["code_discriminator_hidden"] = (16, 16, 16)
  fields.update(overrides)
  return module, algorithms.from_mapping(module.Config, fields)


def tiny_data(arch: str, num_batches: int, batch_size: int = 8, seed: int = 0):
  rng = np.random.default_rng(seed)
  shape = (2,) if arch == "mlp" else (28, 28, 1)
  return np.tanh(rng.normal(size=(num_batches, batch_size) + shape)).astype(np.float32)


def leaves_equal(a, b, *, rtol=0.0, atol=0.0):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)
