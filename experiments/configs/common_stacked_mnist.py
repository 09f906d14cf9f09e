r"""PacGAN's Stacked MNIST protocols (Lin et al. 2018, Tables 2 and 3) as config variants.

``--config=experiments/configs/<algorithm>.py:<variant>`` (or
``gengan-train --config=dcgan:pacgan_stacked_mnist``) builds the algorithm's
own ``mnist`` config and then sets what the reference code fixes
(:func:`apply`): the data, the networks, the prior, the update schedule, the
optimizers and the training length. The config files of :data:`ALGORITHMS`
accept these variants through :func:`accepts_stacked_mnist`. Variants
(:data:`VARIANTS`):

* ``pacgan_stacked_mnist``: Table 2, "VEEGAN's setting";
* ``pacgan_stacked_mnist_d4`` and ``pacgan_stacked_mnist_d2``: Table 3, the
  Unrolled GAN's setting with a discriminator of 1/4 and 1/2 the
  generator's widths.

PacDCGAN\ *m* (PacGAN's packing of ``m`` samples) is ``--config.model.pack=m``
on ``dcgan`` (and ``gan``).

**Table 2** (reference code ``fjxmlzn/PacGAN``,
``stacked_MNIST_experiments/VEEGAN_experiment/``, which is Taehoon Kim's
``carpedm20/DCGAN-tensorflow``):

* data: ``num_training_sample: 128000`` images (``config.py``), each three
  digits drawn uniformly from MNIST's 60,000 training and 10,000 test digits
  together (``load_mnist`` in ``model.py``: ``train-images`` and
  ``t10k-images`` concatenated), stacked as channels, 28x28x3; a packed data
  example is ``m`` images of that fixed set (``split='train+test'``,
  ``num_images=128_000`` here);
* ``z ~ Uniform(-1, 1)^100`` (``z_dim: 100``; ``np.random.uniform(-1, 1,
  [batch_size, z_dim])`` in ``model.py``; ``prior='uniform'``);
* networks (``model.py``, ``ops.py``; ``gf_dim = df_dim = 64`` by default):
  ``arch='dcgan_tf'`` (:mod:`gengan_jax.nets.dcgan_tensorflow`), the
  generator a dense layer to 2x2x512, BN, ReLU, 5x5 stride-2 transposed
  convs to 4x4x256, 7x7x128, 14x14x64 (BN, ReLU), and to 28x28x3, tanh
  (4,514,819 parameters); the discriminator 5x5 stride-2 convs to 64, 128,
  256, 512 channels, leaky ReLU 0.2, BN on all but the first, a dense logit
  (4,310,401 parameters, 4,800 more per packed image);
* loss: the non-saturating GAN (``sigmoid_cross_entropy_with_logits``; G's
  labels ones);
* Adam, learning rate 2e-4, beta1 0.5 (``config.py``; TensorFlow's beta2
  0.999, epsilon 1e-8), both networks;
* batch 64, ``epoch: 50`` of ``128000 // 64 = 2000`` batches = 100,000
  discriminator updates, each followed by *two* generator updates ("Run
  g_optim twice to make sure that d_loss does not go to zero") on the same
  ``z`` as the discriminator's (``feed_dict_z`` is drawn once per
  iteration; ``generator_noise='shared'``);
* evaluation: 26,000 samples (``num_test_sample``) from fixed uniform
  noise, batch norm in inference mode (``sampler``: ``train=False``), a
  Keras MNIST classifier (``train_mnist.py``) on each channel, the mode the
  digit triple (1000 modes), and ``KL(p || uniform)`` of the modes'
  histogram; 10 runs (``run: range(10)``), ``packing_num`` 1 to 4.

**Table 3** (``stacked_MNIST_experiments/unrolled_GAN_experiment/D=0.25G``
and ``D=0.5G``; their ``config.py`` and ``model.py`` differ from Table 2's
as follows, and from each other only in the discriminator's widths):

* data: fresh stacks every batch (``generate_stacked_mnist``: ``3 m``
  digits per packed example from MNIST's 60,000 training digits; here
  ``split='train', fresh=True``:
  :class:`gengan_jax.data.StackedMNISTStream`, whose fixed sample of
  ``num_images=25_600`` is only what the evaluation compares with), scaled
  to [-1, 1] (``X_training / 255.0 * 2.0 - 1.0``); 500,000 batches of 128
  (``num_training_sample: 500000 * 128``, ``batch_size: 128``, ``epoch:
  1``);
* ``z ~ N(0, I_256)`` (``z_dim: 256``, ``np.random.normal``);
* networks ``arch='unrolled_gan'``: the generator a dense layer to 4x4x64,
  BN, ReLU, 3x3 stride-2 transposed convs to 7x7x32, 14x14x16, 28x28x8 (BN,
  ReLU), a 3x3 stride-1 conv to 28x28x3, tanh (287,875 parameters); the
  discriminator 3x3 stride-2 convs of 2, 4, 8 (``D=0.25G``) or 4, 8, 16
  (``D=0.5G``) channels, BN on every one, leaky ReLU 0.3, a dense logit
  (585 or 1,889 parameters; 54 or 108 more per packed image);
* Adam with beta1 0.5, beta2 0.99, learning rate 1e-4 for G and 2e-4 for D
  (``gen_learning_rate``, ``disc_learning_rate``);
* one generator update per discriminator update, on the discriminator's
  ``z``;
* evaluation: 25,600 samples (``num_test_sample``), mapped to [0, 1] for
  the classifier (``(samples + 1.0) / 2.0``); 50 runs (``run: range(50)``).

**What this library does differently, and why.**

* The data are in [-1, 1] in both tables (this library's image range,
  ``x / 127.5 - 1``, and the range its Stacked MNIST classifier was trained
  on). Table 2's code feeds the discriminator ``x / 255`` in [0, 1] against
  a tanh generator and reads its samples' digits without rescaling; that
  quirk is not reproduced.
* Table 2's packed data example draws its ``m`` images with replacement
  (``np.random.randint`` over the 128,000); here the ``m`` batches of a step
  are consecutive positions of the epoch's permutation (without
  replacement within an epoch).
* The reference logs the modes and the KL at the end of every epoch (Table
  2) or every 2,000 steps (Table 3) and the tables report the last; here
  the evaluation command reads the last checkpoint.
* The generator normalises all ``m * B`` samples of a packed step in one
  batch norm; the reference calls it ``m`` times, each batch on its own
  statistics (``G_sep``).
* Table 3's reference samples for its evaluation with batch norm in
  training mode (its ``sampler`` calls ``g_bn0(self.h0)`` with the default
  ``train=True``); this library samples with the running averages.
* The evaluation's classifier is this library's
  (:mod:`gengan_jax.metrics.classifier`), not the reference's Keras CNN;
  the KL is the same ``KL(p || uniform)``
  (:func:`gengan_jax.metrics.stacked_mnist_modes`): ``python -m
  gengan_jax.evaluate --workdir=<run>`` (26,000 samples by default; Table 3:
  ``--num_samples=25600``).
* alpha-GAN (``alpha_gan``), which the reference does not run, keeps its
  N(0, I) prior, its four networks' own updates (fresh ``z`` for each) and
  its code discriminator; it takes the protocol's networks (its encoder is
  the discriminator's conv stack at the generator's width and a dense code,
  :class:`gengan_jax.nets.dcgan_tensorflow.TFDCGANEncoder`), latent size,
  data, batch, steps and number of generator rounds per discriminator
  update; the generator's Adam for its generator and encoder, the
  discriminator's for its two discriminators; its reconstruction weights
  per pixel as in ``common_images.py``.
* The batches (64 and 128) split over 1, 2, 4 or 8 devices.
"""

from __future__ import annotations

import dataclasses
import functools

import ml_collections

from gengan_jax.core import ConfigError


@dataclasses.dataclass(frozen=True)
class Protocol:
  """The settings a PacGAN Stacked MNIST table fixes.

  Attributes:
    name: the config variant.
    table: the table of Lin et al. (2018) it reproduces.
    arch: the networks (:data:`gengan_jax.nets.dcgan_tensorflow.PRESETS`).
    base_features: the generator's ``b`` (``gf_dim``).
    discriminator_base_features: the discriminator's ``b`` (``df_dim``).
    latent_dim: the dimension of ``z``.
    prior: the law of ``z`` (:data:`gengan_jax.core.keys.PRIORS`).
    split: the MNIST digits stacked (``'+'`` joins splits).
    fresh: new stacks for every batch (else a fixed set of ``num_images``).
    num_images: the stacked images of the training set (with ``fresh``:
      the fixed sample the evaluation compares with).
    batch_size: examples per step (PacGAN: packed examples).
    steps: training steps (discriminator updates).
    generator_updates: generator updates per discriminator update.
    generator_noise: the two-player family's ``generator_noise``.
    generator_adam, discriminator_adam: ``(learning_rate, b1, b2)``.
    eval_samples: samples of the mode count.
    runs: runs the table averages.
    log_every, checkpoint_every, plot_every: the loop's intervals.
    reference: where the numbers come from.
  """

  name: str
  table: str
  arch: str
  base_features: int
  discriminator_base_features: int
  latent_dim: int
  prior: str
  split: str
  fresh: bool
  num_images: int
  batch_size: int
  steps: int
  generator_updates: int
  generator_noise: str
  generator_adam: tuple[float, float, float]
  discriminator_adam: tuple[float, float, float]
  eval_samples: int
  runs: int
  log_every: int
  checkpoint_every: int
  plot_every: int
  reference: str


_TABLE_2 = "fjxmlzn/PacGAN stacked_MNIST_experiments/VEEGAN_experiment/{config,model,ops}.py"
_TABLE_3 = ("fjxmlzn/PacGAN stacked_MNIST_experiments/unrolled_GAN_experiment/{}/"
            "{{config,model,ops}}.py")


def _table_3(name: str, discriminator_base_features: int, folder: str) -> Protocol:
  return Protocol(
      name=name, table="Table 3", arch="unrolled_gan", base_features=8,
      discriminator_base_features=discriminator_base_features, latent_dim=256,
      prior="gaussian", split="train", fresh=True, num_images=25_600, batch_size=128,
      steps=500_000 * 128 // 128, generator_updates=1, generator_noise="shared",
      generator_adam=(1e-4, 0.5, 0.99), discriminator_adam=(2e-4, 0.5, 0.99),
      eval_samples=25_600, runs=50, log_every=1000, checkpoint_every=10_000,
      plot_every=50_000, reference=_TABLE_3.format(folder))


PROTOCOLS: dict[str, Protocol] = {
    "pacgan_stacked_mnist": Protocol(
        name="pacgan_stacked_mnist", table="Table 2", arch="dcgan_tf", base_features=64,
        discriminator_base_features=64, latent_dim=100, prior="uniform", split="train+test",
        fresh=False, num_images=128_000, batch_size=64, steps=50 * (128_000 // 64),
        generator_updates=2, generator_noise="shared", generator_adam=(2e-4, 0.5, 0.999),
        discriminator_adam=(2e-4, 0.5, 0.999), eval_samples=26_000, runs=10,
        log_every=500, checkpoint_every=5000, plot_every=10_000, reference=_TABLE_2),
    # Metz et al.'s generator widths 64, 32, 16, 8 = 8b..b with b = 8; the
    # discriminator's 2, 4, 8 (a quarter) or 4, 8, 16 (a half) = b_D, 2 b_D, 4 b_D.
    "pacgan_stacked_mnist_d4": _table_3("pacgan_stacked_mnist_d4", 2, "D=0.25G"),
    "pacgan_stacked_mnist_d2": _table_3("pacgan_stacked_mnist_d2", 4, "D=0.5G"),
}
VARIANTS = tuple(PROTOCOLS)
# The algorithms with these variants: the two-player GAN family's DCGAN and
# the family itself (PacDCGAN is their `pack`), and alpha-GAN.
ALGORITHMS = ("dcgan", "gan", "alpha_gan")
# The two-player family's own settings of the protocol.
_FAMILY = ("dcgan", "gan")
# Optimizers that take the generator's Adam (the rest take the discriminator's).
_GENERATOR_SIDE = ("generator_optimizer", "encoder_optimizer")


def apply(c: ml_collections.ConfigDict, variant: str) -> ml_collections.ConfigDict:
  """The config ``c`` (the algorithm's own ``mnist`` one) under the protocol ``variant``.

  Sets the data (source ``'stacked_mnist'``), the networks, the latent size,
  the generator updates per step, every optimizer, the training length and
  intervals; for the two-player family also the prior and
  ``generator_noise``; for alpha-GAN its reconstruction weights per pixel.
  ``pack`` and the algorithm's other hyper-parameters stay as its config has
  them.

  Raises:
    ConfigError: an unknown ``variant``, or an algorithm outside :data:`ALGORITHMS`.
  """
  # Imported here: common imports this module (for its variant names).
  from gengan_jax.configs import common  # pylint: disable=g-import-not-at-top
  from gengan_jax.configs import common_images  # pylint: disable=g-import-not-at-top
  if variant not in PROTOCOLS:
    raise ConfigError(f"Stacked MNIST protocol variant {variant!r} is invalid: valid variants "
                      f"are {', '.join(repr(v) for v in VARIANTS)}.")
  if c.algorithm not in ALGORITHMS:
    raise ConfigError(f"config algorithm {c.algorithm!r} has no Stacked MNIST protocol "
                      f"variants; they are set for {', '.join(ALGORITHMS)}.")
  p = PROTOCOLS[variant]
  c.data = common.data("stacked_mnist", p.batch_size, directory=common.mnist_directory(),
                       split=p.split, num_images=p.num_images, fresh=p.fresh)
  m = c.model
  m.arch = p.arch
  m.latent_dim = p.latent_dim
  m.base_features = p.base_features
  m.discriminator_base_features = p.discriminator_base_features
  m.generator_updates = p.generator_updates
  if c.algorithm in _FAMILY:
    m.prior = p.prior
    m.generator_noise = p.generator_noise
  for key in common_images.optimizer_keys(m):
    m[key] = common.adam(*(p.generator_adam if key in _GENERATOR_SIDE
                           else p.discriminator_adam))
  common_images.scale_reconstruction_weights(c, 28 * 28 * 3)
  c.train.steps = p.steps
  c.train.log_every = p.log_every
  c.train.checkpoint_every = p.checkpoint_every
  c.train.plot_every = p.plot_every
  return c


def accepts_stacked_mnist(get_config):
  """Decorates a config file's ``get_config(arg)`` to accept :data:`VARIANTS` too.

  ``get_config('pacgan_stacked_mnist')`` is ``apply(get_config('mnist'),
  'pacgan_stacked_mnist')``; any other ``arg`` goes to ``get_config`` as it is.
  """
  @functools.wraps(get_config)
  def with_stacked_mnist(arg=None):
    if arg in VARIANTS:
      return apply(get_config("mnist"), arg)
    return get_config(arg)
  return with_stacked_mnist
