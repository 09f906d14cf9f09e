"""VEEGAN (Srivastava et al. 2017, Algorithm 1).

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/veegan.py:grid``, or
``gengan-train --config=veegan:grid``).

The toys take the authors' 2-D settings (``VEEGAN_2D_RING.ipynb`` of
akashgit/VEEGAN, as reproduced in public copies of it): noise of 254
dimensions, generator and reconstructor with two ReLU layers of 128 units, a
discriminator with one, Adam with learning rate 1e-3 and beta1 0.5, ``F``'s
unit Gaussian noise and the reconstruction weight 0.5 (the defaults of
``veegan.Config``); the batch is their 500 rounded up to 512, so that it
splits over 8 devices. They trained for 100,000 steps (100 epochs of 1,000);
20,000 here, as the other toy configs. ``mnist`` keeps the reconstructor's
noise and weight on the DCGAN-style networks, with DCGAN's Adam (2e-4, beta1
0.5).
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("veegan"))
    lr = 2e-4
  else:
    c = common.toy(common.base("veegan"), v)
    c.data.batch_size = 512
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 254
    c.model.hidden = (128, 128)
    lr = 1e-3
  c.model.discriminator_hidden = (128,)
  c.model.reconstruction_weight = 0.5
  c.model.reconstructor_noise = 1.0
  for net in ("generator", "reconstructor", "discriminator"):
    c.model[net + "_optimizer"] = common.adam(lr, 0.5, 0.999)
  return c
