r"""The alpha-GAN paper's image experiments, as config variants of its four algorithms.

Rosca, Lakshminarayanan, Warde-Farley & Mohamed (2017, arXiv:1706.04987,
Sec. 6) compare alpha-GAN, DCGAN, WGAN-GP and AGE on ColorMNIST (Stacked
MNIST), CelebA 64x64 and CIFAR-10 32x32.
``--config=experiments/configs/<algorithm>.py:<dataset>`` (or
``gengan-train --config=alpha_gan:celeb_a``) builds the algorithm's own
``mnist`` config (its loss weights, update schedule, code discriminator)
and then sets the dataset, the DCGAN networks and the optimisation
(:func:`apply`). The config files of :data:`ALGORITHMS` accept these
variants through :func:`accepts_images`. Variants (:data:`VARIANTS`):

* ``stacked_mnist``: ColorMNIST, three MNIST training digits as the RGB
  channels of a 28x28 image, 25,600 images (PacGAN's count; ``source
  'stacked_mnist'``, the full ``train`` split of the MNIST IDX files in
  ``$GENGAN_MNIST_DIR``: ``--config.data.split=train5k`` on the development
  machine, which has only the 5k subset); DCGAN nets at 28x28;
* ``cifar10``: TFDS ``cifar10`` ``train``, 50,000 images 32x32x3;
* ``celeb_a``: TFDS ``celeb_a`` ``train`` (162,770 aligned 218x178
  photographs), the central 108x108 square resized to 64x64 with Pillow's
  antialiased bilinear filter, as DCGAN-tensorflow (carpedm20) prepares
  CelebA (``--input_height=108 --crop``; see
  :mod:`gengan_jax.data.image_ops`).

**What is and is not the paper's.** The paper's Appendix (the architectures
and the hyper-parameter sweeps of its Sec. 6) could not be read while these
configs were written: no copy of its text was reachable offline. So the
default point of every algorithm is DCGAN's published setting (Radford,
Metz & Chintala, ICLR 2016, Sec. 4: Adam with learning rate 2e-4 and beta1
0.5, N(0, 0.02) initial weights, batch 128 in the paper and 64 in its
reference code, a 100-D latent), with the DCGAN networks of
:mod:`gengan_jax.nets.dcgan` (``base_features = 64``: 64-128-256-512
channels at 64x64, as DCGAN-tensorflow's ``gf_dim = df_dim = 64``), except
where an algorithm's own paper fixes its optimisation: WGAN-GP uses
Gulrajani et al.'s Algorithm 1 (Adam 1e-4, beta1 0, beta2 0.9, 5 critic
updates, penalty weight 10, no batch norm in the critic). The reconstruction
weights keep the algorithm's MNIST config's weight *per pixel*: a
per-image sum over ``H W C`` pixels gets ``lambda_mnist * 784 / (H W C)``
(to 3 significant digits).
The training lengths and the sweep ranges (:func:`sweep`) are this
library's choice, not the paper's.

Each sweep is a grid in the form ``python -m experiments.sweep run --values=``
takes (:func:`sweep_arguments`); every swept setting is a float, so
``experiments.sweep`` trains a whole grid as one population (one compiled
program, the jobs side by side).
"""

from __future__ import annotations

import dataclasses
import functools

import ml_collections

from gengan_jax.core import ConfigError


@dataclasses.dataclass(frozen=True)
class ImageData:
  """One dataset of the paper's image experiments.

  Attributes:
    name: the config variant.
    shape: ``(H, W, C)`` of an image as the networks see it.
    settings: the data section's source keys (:func:`common.data`), except
      the MNIST directory, which is looked up when the config is built.
    steps: training steps (generator updates); this library's choice.
    reference: where the preprocessing comes from.
  """

  name: str
  shape: tuple[int, int, int]
  settings: dict
  steps: int
  reference: str


DATASETS: dict[str, ImageData] = {
    "stacked_mnist": ImageData(
        name="stacked_mnist", shape=(28, 28, 3),
        settings=dict(source="stacked_mnist", split="train", num_images=25_600),
        steps=20_000,  # 50 epochs of 25,600 images at batch 64
        reference="Metz et al. 2017, Sec. 3.3.2; PacGAN's 25,600 images"),
    "cifar10": ImageData(
        name="cifar10", shape=(32, 32, 3),
        settings=dict(source="tfds", name="cifar10", split="train"),
        steps=100_000,  # 128 epochs of 50,000 images at batch 64
        reference="TFDS cifar10, as is"),
    "celeb_a": ImageData(
        name="celeb_a", shape=(64, 64, 3),
        settings=dict(source="tfds", name="celeb_a", split="train", crop=108, resize=64),
        steps=80_000,  # ~31 epochs of 162,770 images at batch 64
        reference="DCGAN-tensorflow (carpedm20): 108x108 centre crop, resized to 64x64"),
}
VARIANTS = tuple(DATASETS)
ALGORITHMS = ("alpha_gan", "dcgan", "wgan_gp", "age")

# DCGAN (Radford et al. 2016, Sec. 4): z in 100 dimensions, Adam 2e-4, beta1 0.5
# (beta2 0.999, Adam's default); batch 64 as DCGAN-tensorflow.
LATENT_DIM = 100
BASE_FEATURES = 64
BATCH_SIZE = 64
DCGAN_ADAM = (2e-4, 0.5, 0.999)
# WGAN-GP (Gulrajani et al. 2017, Algorithm 1): alpha 1e-4, beta1 0, beta2 0.9.
WGAN_GP_ADAM = (1e-4, 0.0, 0.9)
MNIST_PIXELS = 28 * 28
# The per-image reconstruction weights, scaled to keep the MNIST config's weight per pixel.
RECONSTRUCTION_WEIGHTS = {"alpha_gan": ("lambda_encoder", "lambda_generator"),
                          "age": ("lambda_x",)}


def optimizer_keys(model: ml_collections.ConfigDict) -> list[str]:
  """The keys of ``model`` that hold an optimizer (``optimizer``, ``*_optimizer``)."""
  return [k for k in model.keys() if k == "optimizer" or k.endswith("_optimizer")]


def scale_reconstruction_weights(c: ml_collections.ConfigDict, pixels: int) -> None:
  """Rescales ``c.model``'s :data:`RECONSTRUCTION_WEIGHTS` from the ``mnist``
  config's 784 pixels to ``pixels`` per image (three significant digits), so
  that the weight per pixel stays the same."""
  for key in RECONSTRUCTION_WEIGHTS.get(c.algorithm, ()):
    c.model[key] = float(f"{float(c.model[key]) * MNIST_PIXELS / pixels:.3g}")


def apply(c: ml_collections.ConfigDict, variant: str) -> ml_collections.ConfigDict:
  """The config ``c`` (the algorithm's own ``mnist`` one) on the image dataset ``variant``.

  Sets the data section, ``arch = 'dcgan'`` with :data:`LATENT_DIM` and
  :data:`BASE_FEATURES`, every optimizer (:data:`DCGAN_ADAM`, or
  :data:`WGAN_GP_ADAM` for ``wgan_gp``), the reconstruction weights per
  pixel (:data:`RECONSTRUCTION_WEIGHTS`), the training length and the
  intervals; the algorithm's other hyper-parameters stay as its ``mnist``
  config has them.

  Raises:
    ConfigError: an unknown ``variant``, or an algorithm outside :data:`ALGORITHMS`.
  """
  # Imported here: common imports this module (for its variant names).
  from gengan_jax.configs import common  # pylint: disable=g-import-not-at-top
  if variant not in DATASETS:
    raise ConfigError(f"image variant {variant!r} is invalid: valid image variants are "
                      f"{', '.join(repr(v) for v in VARIANTS)}.")
  if c.algorithm not in ALGORITHMS:
    raise ConfigError(f"config algorithm {c.algorithm!r} has no image variants; the "
                      f"alpha-GAN paper's image experiments run {', '.join(ALGORITHMS)}.")
  d = DATASETS[variant]
  settings = dict(d.settings)
  if settings["source"] == "stacked_mnist":
    settings["directory"] = common.mnist_directory()
  c.data = common.data(settings.pop("source"), BATCH_SIZE, **settings)
  m = c.model
  m.arch = "dcgan"
  m.latent_dim = LATENT_DIM
  m.base_features = BASE_FEATURES
  adam = WGAN_GP_ADAM if c.algorithm == "wgan_gp" else DCGAN_ADAM
  for key in optimizer_keys(m):
    m[key] = common.adam(*adam)
  scale_reconstruction_weights(c, d.shape[0] * d.shape[1] * d.shape[2])
  c.train.steps = d.steps
  c.train.log_every = 500
  c.train.checkpoint_every = 5000
  c.train.plot_every = 10_000
  return c


def accepts_images(get_config):
  """Decorates a config file's ``get_config(arg)`` to accept :data:`VARIANTS` too.

  ``get_config('celeb_a')`` is ``apply(get_config('mnist'), 'celeb_a')``; any
  other ``arg`` goes to ``get_config`` as it is.
  """
  @functools.wraps(get_config)
  def with_images(arg=None):
    if arg in VARIANTS:
      return apply(get_config("mnist"), arg)
    return get_config(arg)
  return with_images


# -- sweeps (this library's choice; see the module docstring) -----------------

LEARNING_RATES = (1e-4, 2e-4, 5e-4)
WGAN_GP_LEARNING_RATES = (5e-5, 1e-4, 2e-4)


def sweep(algorithm: str, variant: str) -> dict[str, list]:
  """The sweep grid of ``algorithm`` on ``variant``: ``{config path: values}``.

  * every algorithm: the generator's learning rate and its opponent's
    (discriminator, critic or encoder) over :data:`LEARNING_RATES`
    (:data:`WGAN_GP_LEARNING_RATES` for WGAN-GP), 3 x 3;
  * alpha-GAN: the generator's reconstruction weight at 1 and 10 times its
    default (18 settings);
  * WGAN-GP: the penalty weight 1 or 10 (18 settings);
  * AGE: the code reconstruction weight ``lambda_z`` 10 or 100 (18);
  * DCGAN: the learning rates only (9).

  Raises:
    ConfigError: an unknown ``algorithm`` or ``variant``.
  """
  if algorithm not in ALGORITHMS:
    raise ConfigError(f"sweep: algorithm {algorithm!r} is invalid: valid algorithms are "
                      f"{', '.join(ALGORITHMS)}.")
  if variant not in DATASETS:
    raise ConfigError(f"sweep: variant {variant!r} is invalid: valid variants are "
                      f"{', '.join(VARIANTS)}.")
  rates = list(WGAN_GP_LEARNING_RATES if algorithm == "wgan_gp" else LEARNING_RATES)
  opponent = {"alpha_gan": "discriminator", "dcgan": "discriminator", "wgan_gp": "critic",
              "age": "encoder"}[algorithm]
  grid = {"model.generator_optimizer.learning_rate": rates,
          f"model.{opponent}_optimizer.learning_rate": list(rates)}
  if algorithm == "alpha_gan":
    from gengan_jax.configs import alpha_gan  # pylint: disable=g-import-not-at-top
    weight = alpha_gan.get_config(variant).model.lambda_generator
    grid["model.lambda_generator"] = [weight, 10 * weight]
  elif algorithm == "wgan_gp":
    grid["model.gradient_penalty_weight"] = [1.0, 10.0]
  elif algorithm == "age":
    grid["model.lambda_z"] = [10.0, 100.0]
  return grid


def sweep_arguments(algorithm: str, variant: str) -> list[str]:
  """:func:`sweep` as ``--values=<path>=<v1>,<v2>,...`` arguments of ``experiments.sweep run``."""
  return [f"--values={path}={','.join(repr(v) for v in values)}"
          for path, values in sweep(algorithm, variant).items()]
