"""alpha-GAN (Rosca et al. 2017, Algorithm 1).

Variants: ``ring`` (the default), ``grid`` and ``mnist``, as ``common.py``
describes them (``--config=experiments/configs/alpha_gan.py:grid``, or
``gengan-train --config=alpha_gan:grid``); the alpha-GAN paper's image experiments
``stacked_mnist``, ``cifar10`` and ``celeb_a``, as ``common_images.py`` describes
them (``gengan-train --config=alpha_gan:celeb_a``); PacGAN's Stacked MNIST
protocols ``pacgan_stacked_mnist``, ``pacgan_stacked_mnist_d4`` and
``pacgan_stacked_mnist_d2``, as ``common_stacked_mnist.py`` describes them.
"""

from gengan_jax.configs import common


@common.accepts_stacked_mnist
@common.accepts_images
@common.accepts_protocols
def get_config(arg=None):
  v = common.variant(arg)
  if v == "mnist":
    c = common.mnist(common.base("alpha_gan"))
    c.train.steps = 600
    c.train.plot_every = 200
    # lambda multiplies the per-image L1 norm (a sum over 784 pixels).
    c.model.lambda_encoder = 0.05
    c.model.lambda_generator = 0.05
    c.model.code_discriminator_hidden = (750, 750, 750)
  else:
    c = common.toy(common.base("alpha_gan"), v)
    c.data.batch_size = 256
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 2
    c.model.lambda_encoder = 1.0
    c.model.lambda_generator = 1.0
    # The paper's 3 x 750 code discriminator is sized for images; 2-D codes
    # need far less, and this keeps the default run to a few CPU minutes.
    c.model.code_discriminator_hidden = (128, 128, 128)
  c.model.pack = 1  # PacGAN's m for the data discriminator: --config.model.pack=2
  for net in ("generator", "encoder", "discriminator", "code_discriminator"):
    c.model[net + "_optimizer"] = common.adam(2e-4, 0.5, 0.9)
  return c
