"""EBGAN (Zhao, Mathieu & LeCun 2017): auto-encoder discriminator, margin loss, pulling-away term.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/ebgan.py:grid``, or
``gengan-train --config=ebgan:grid``); EBGAN-PT is
``--config.model.pull_away_weight=0.1`` (the paper's weight); PacGAN's packing
of the discriminator's inputs (not in the paper) is ``--config.model.pack=2``
with a code wide enough for two points (``--config.model.code_dim=4`` on the toys).

The energy is the mean squared reconstruction error per coordinate, so the
margins are in those units (see ``gengan_jax/algorithms/ebgan.py``): the
paper's margins (tens) are for its own scaling of the energy and are not
copied.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("ebgan"))
    c.train.steps = 300
    c.train.plot_every = 100
    c.train.checkpoint_every = 100
    # Above the data's energy over a short run (0.96 at the start, 0.16 after
    # 150 steps), so that the hinge acts.
    c.model.margin = 0.3
    c.model.pull_away_weight = 0.1
    c.model.energy = "l2"
    c.model.code_dim = 32
    c.model.discriminator_batch_norm = True
    c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.999)
    c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.999)
    c.model.pack = 1
    return c
  c = common.toy(common.base("ebgan"), v)
  c.data.batch_size = 256
  c.train.steps = 20000
  c.train.plot_every = 5000
  c.model.latent_dim = 2
  # m = 0.1: the data's energy settles at 0.01-0.07 (per-coordinate MSE);
  # m = 1 keeps it at 0.2-0.3 and covers fewer modes (5/8 on the ring after
  # 5k steps, 6/8 at 0.1). The pulling-away term (0.1) did not add modes
  # on the ring in a 4k-step trial, so plain EBGAN is the default here.
  c.model.margin = 0.1
  c.model.pull_away_weight = 0.0
  c.model.energy = "l2"
  c.model.code_dim = 2
  c.model.generator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.discriminator_optimizer = common.adam(2e-4, 0.5, 0.9)
  c.model.pack = 1
  return c
