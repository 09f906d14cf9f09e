"""Gumbel-softmax VAE (Jang et al. 2017; Maddison et al. 2017): categorical latents, relaxed.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/gumbel_vae.py:grid``, or
``gengan-train --config=gumbel_vae:grid``).

* ``mnist``: Jang et al.'s MNIST VAE: 20 categorical variables of 10 classes,
  a Bernoulli decoder on dynamically binarised digits (a fresh draw each
  step), the categorical KL to the uniform prior, the temperature annealed
  from 1 as ``max(0.5, exp(-1e-4 t))`` updated every 1,000 steps, Adam 1e-3
  (Jang et al.'s settings), batch 64 (theirs: 100); DCGAN-style networks
  (every ``mnist`` variant uses them; Jang et al. used MLPs). 5,000 steps
  (64 passes over the 5,000 digits) fit a shared CPU; the evaluation's
  importance-weighted bound takes ``k = 1000``.
  ``--config.model.kl=relaxed`` gives Maddison et al.'s relaxed KL,
  ``--config.model.straight_through=true`` the ST Gumbel-softmax.
* ``ring`` / ``grid``: MLPs of 3 x 128, 2 categorical variables of 8 classes
  (64 codes for 8 or 25 modes), a Gaussian decoder with a learned scale per
  coordinate (the samples are its means), batch 256, Adam 1e-3, 20,000 steps
  (the temperature reaches 0.5 after 7,000).
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("gumbel_vae"))
    c.model.latent_dim = 20
    c.model.num_classes = 10
    c.model.observation = "bernoulli"
    c.model.binarization = "dynamic"
    c.train.steps = 5000
    c.train.checkpoint_every = 1000
    c.train.plot_every = 1000
  else:
    c = common.toy(common.base("gumbel_vae"), v)
    c.data.batch_size = 256
    c.model.latent_dim = 2
    c.model.num_classes = 8
    c.model.observation = "gaussian"
    c.model.binarization = "none"
    c.train.steps = 20000
    c.train.plot_every = 5000
  c.model.kl = "categorical"
  c.model.straight_through = False
  c.model.initial_temperature = 1.0
  c.model.min_temperature = 0.5
  c.model.anneal_rate = 1e-4
  c.model.anneal_every = 1000
  c.model.eval_importance_samples = 1000
  c.model.optimizer = common.adam(1e-3, 0.9, 0.999)
  return c
