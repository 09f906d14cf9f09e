"""BEGAN (Berthelot, Schumm & Metz 2017): auto-encoder discriminator held at the equilibrium gamma.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/began.py:grid``, or
``gengan-train --config=began:grid``). ``mnist`` keeps the paper's
gamma 0.5, lambda_k 0.001, k_0 = 0 and a batch-norm-free discriminator.
PacGAN's packing of the discriminator's inputs (not in the paper) is
``--config.model.pack=2`` with a code wide enough for two points
(``--config.model.code_dim=4`` on the toys), as for EBGAN.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("began"))
    c.train.steps = 300
    c.train.plot_every = 100
    c.train.checkpoint_every = 100
    c.model.gamma = 0.5
    c.model.lambda_k = 0.001
    c.model.initial_k = 0.0
    c.model.energy = "l1"
    c.model.code_dim = 32
    c.model.discriminator_batch_norm = False
    c.model.generator_optimizer = common.adam(1e-4, 0.5, 0.999)
    c.model.discriminator_optimizer = common.adam(1e-4, 0.5, 0.999)
    c.model.pack = 1
    return c
  c = common.toy(common.base("began"), v)
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  # The paper's gamma 0.5 and lambda_k 0.001 leave k_t at 0 on the toys: the
  # data's L1 energy is ~0.01, so lambda_k moves k by ~1e-5 a step, and
  # L(G(z)) stays above gamma L(x) (the discriminator never pushes the
  # samples). gamma 1 (the most diverse equilibrium) and gain 1 let k act;
  # BEGAN still collapses onto few modes on these mixtures (see docs/results.md).
  c.model.gamma = 1.0
  c.model.lambda_k = 1.0
  c.model.initial_k = 0.0
  c.model.energy = "l1"
  c.model.code_dim = 2
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.pack = 1
  return c
