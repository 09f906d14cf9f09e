"""VAE-GAN (Larsen et al. 2016): a VAE whose reconstructions are compared in Dis's features.

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/vae_gan.py:grid``, or
``gengan-train --config=vae_gan:grid``).

Every variant: RMSProp 3e-4 (decay 0.9, deeppy's default) for the three
networks, the minimax generator loss and the last hidden layer of the
discriminator as ``Dis_l`` (the authors' code). ``gamma`` weighs a sum over
that layer's features against per-example GAN terms, so it scales with the
layer's size (the authors' CelebA 1e-6 is for a 256-channel map): 1e-2 for
the toys' 128 features, 1e-3 for MNIST's 7 x 7 x 64 map.

* ``ring`` / ``grid``: MLPs of 3 x 128, a 2-D latent, batch 256, 20,000 steps.
* ``mnist``: the DCGAN-style networks of every ``mnist`` variant, 32 latents.
"""

from gengan_jax.configs import common


@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("vae_gan"))
    c.model.gamma = 1e-3
  else:
    c = common.toy(common.base("vae_gan"), v)
    c.data.batch_size = 256
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 2
    c.model.gamma = 1e-2
  c.model.feature_layer = -1
  c.model.generator_loss = "minimax"
  for net in ("encoder", "decoder", "discriminator"):
    c.model[net + "_optimizer"] = common.rmsprop(3e-4, decay=0.9)
  return c
