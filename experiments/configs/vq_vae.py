"""VQ-VAE (van den Oord et al. 2017): a codebook, the straight-through gradient, beta = 0.25.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/vq_vae.py:grid``, or
``gengan-train --config=vq_vae:grid``).

* ``mnist``: DCGAN-style encoder and decoder (every ``mnist`` variant uses
  them), 16 code vectors of width 16 per digit, a codebook of 128 codes
  (``16 log2 128 = 112`` bits per digit), the squared error (a Gaussian with
  ``sigma = 1`` on the ``[-1, 1]`` grey levels), commitment cost 0.25, batch
  64, Adam 1e-3 (the paper: 2e-4 on larger runs), 5,000 steps.
  ``--config.model.ema=true`` updates the codebook by moving averages
  (decay 0.99, the paper's App. A.1). Samples decode codes drawn uniformly
  from the codebook (``--config.model.prior=marginal`` draws each of the 16
  positions from its own code frequencies, independently: a factorised
  stand-in for the paper's PixelCNN prior).
* ``ring`` / ``grid``: MLPs of 3 x 128, one code vector of width 2 per
  point (a single code vector is what makes the samples a quantised copy of
  the data; several independent codes would combine unseen pairs), 16 codes
  on the ring and 64 on the grid (16 cannot cover its 25 modes), the
  paper's squared error (a Gaussian decoder with ``sigma = 1``: a learned
  scale lets one code serve several modes with a broad Gaussian, 10.7 of 25
  grid modes), dead codes restarted at encoder outputs
  (``revive_threshold=1``, Jukebox's random restarts: the EMA codebook
  needs them, 18.3 modes without), batch 256, Adam 1e-3, 20,000 steps.
  Samples decode codes drawn from their training frequencies
  (``prior='marginal'``: with one code vector, the paper's fitted prior
  exactly); the uniform prior of training would also decode codes no point
  uses. docs/results.md, "The rest of the family on the grid", has the sweep.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("vq_vae"))
    c.model.latent_dim = 16
    c.model.embedding_dim = 16
    c.model.num_codes = 128
    c.model.observation = "gaussian"
    c.model.fixed_log_scale = 0.0
    c.model.revive_threshold = 0.0
    c.train.steps = 5000
    c.train.checkpoint_every = 1000
    c.train.plot_every = 1000
  else:
    c = common.toy(common.base("vq_vae"), v)
    c.data.batch_size = 256
    c.model.latent_dim = 1
    c.model.embedding_dim = 2
    c.model.num_codes = 64 if v == "grid" else 16  # 16 cannot cover the grid's 25 modes
    c.model.observation = "gaussian"
    c.model.fixed_log_scale = 0.0
    c.model.revive_threshold = 1.0
    c.train.steps = 20000
    c.train.plot_every = 5000
  c.model.binarization = "none"
  c.model.beta = 0.25
  c.model.ema = False
  c.model.decay = 0.99
  c.model.prior = "uniform" if v == "mnist" else "marginal"
  c.model.prior_decay = 0.99
  c.model.optimizer = common.adam(1e-3, 0.9, 0.999)
  return c
