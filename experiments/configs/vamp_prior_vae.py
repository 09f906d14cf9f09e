"""VAE with the VampPrior (Tomczak & Welling 2018): the encoder's posteriors at
K learned pseudo-inputs as the prior, trained jointly on the ELBO.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them; the VAE's settings (``experiments/configs/vae.py``) plus the
prior: K = 500 pseudo-inputs (the paper's MNIST setting) starting near-black
(``N(-0.9, 0.02^2)`` per pixel in ``[-1, 1]``: the paper's ``N(0.05, 0.01^2)``
on ``[0, 1]``). On the 2-D mixtures K = 50 points of the plane, unclipped
(the Gaussian observation's data have no range), starting at ``N(0, 1)``:
on the grid these start near its 9 central modes and stay there, and the
prior weighs those modes about ten times the edge ones.
``--config.model.pseudo_input_init=data`` (with
``--config.model.pseudo_input_init_std=0.01`` and K = 250) starts them at the
first batch's examples instead, the reference code's option; with the
decoder's scale fixed at 0.05 and a cosine decay it covers the grid evenly
(docs/results.md, "The rest of the family on the grid"). The defaults stay as they
are, so that the earlier rows of this config in docs/results.md reproduce.
"""

from gengan_jax.configs import common
from gengan_jax.configs import vae


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  c = vae.model(common.base("vamp_prior_vae"), v)
  if v == "mnist":
    c.model.num_pseudo_inputs = 500
    c.model.pseudo_input_init_mean = -0.9
    c.model.pseudo_input_init_std = 0.02
  else:
    c.model.num_pseudo_inputs = 50
    c.model.pseudo_input_init_mean = 0.0
    c.model.pseudo_input_init_std = 1.0
  return c
