r"""The 2-D mixture protocols of PacGAN and VEEGAN, as config variants of every algorithm.

``--config=experiments/configs/<algorithm>.py:<protocol>_<mixture>`` (or
``gengan-train --config=gan:pacgan_grid``) builds the algorithm's own
``ring`` or ``grid`` config and then sets what the paper fixes
(:func:`apply`): the mixture, the networks, the batch, the optimizer, the
training length and the evaluation. Every config file accepts these variants
through :func:`accepts_protocols` (``@common.accepts_protocols`` above its
``get_config``). Variants: ``pacgan_ring``, ``pacgan_grid``, ``veegan_ring``,
``veegan_grid``. PacGAN's packed rows are ``--config.model.pack=2`` (3, 4)
on the two-player GANs.

**PacGAN** (Lin, Khetan, Fanti & Oh, NeurIPS 2018, the synthetic-data
experiments and Table 1; reference code ``fjxmlzn/PacGAN``, ``synthetic_data_experiments/
2D{Ring,Grid}_GAN&PacGAN/{config,pacgan_task}.py``, which is ALI's 2-D
mixture experiment, Dumoulin et al. 2017):

* data: the ring of 8 Gaussians of radius 1, std 0.01, and the 5 x 5 grid
  with spacing 2, std 0.05 (``MEANS``/``VARIANCES`` of ``config.py``);
* generator: z ~ N(0, I_2) (``num_zdim = 2``, one mode of std 1), four
  hidden layers of 400, batch norm and ReLU, no hidden bias (``arch =
  'maxout_mlp'``, :class:`gengan_jax.nets.batch_norm_mlp.BatchNormMLPGenerator`);
* discriminator: three linear-maxout layers of 200 units with 5 pieces and a
  linear logit (:class:`gengan_jax.nets.maxout.MaxoutDiscriminator`); every
  weight N(0, 0.02^2), every bias 0;
* loss: the non-saturating GAN (``softplus(-D(x)) + softplus(D(G(z)))`` and
  ``softplus(-D(G(z)))`` in ``pacgan/bricks.py``), packing ``m`` samples
  along the features;
* Adam, learning rate 1e-4, beta1 0.8 (Blocks' ``Adam(learning_rate=1e-4,
  beta1=0.8)``: beta2 0.999, epsilon 1e-8), both networks;
* batch 100 (packed examples per step; ``m * 100`` samples of each side),
  400 epochs of 100,000 samples = 400,000 steps;
* evaluation: 2,500 samples, a sample is high quality within 3 standard
  deviations of its nearest mode, a mode is captured by one high-quality
  sample (``MetricLogger`` in ``pacgan/extensions.py``), and Table 1's
  reverse KL is ``KL(q || uniform) = log K - H(q)`` of the high-quality
  samples' mode histogram ``q`` (``H``: the logger's "entropy of coverage";
  :func:`gengan_jax.metrics.mode_coverage`). Table 1 averages 10 runs
  (mean +- standard error).

**VEEGAN** (Srivastava, Valkov, Russell, Gutmann & Sutton, NeurIPS 2017,
Sec. 5.1 and Table 1; reference code ``akashgit/VEEGAN``'s 2-D notebook, as
reproduced in public copies of it, and the first author's ``GAN_RING.py``
gist for the ring):

* data: the same ring (``ring(batchsize, num_cluster=8, scale=1, std=.01)``)
  and grid (``range(-4, 5, 2)``, ``s = 0.05``);
* generator: z ~ N(0, I_254) (``input_dim = 254``), two hidden ReLU layers
  of 128; reconstructor two of 128; discriminator one of 128 (``arch =
  'mlp'``);
* Adam, learning rate 1e-3, beta1 0.5 (TensorFlow's beta2 0.999, epsilon
  1e-8) for every network;
* batch 500, 100 epochs of 1,000 batches = 100,000 steps;
* evaluation: 2,500 samples (5 x 500), 3 standard deviations, modes with a
  high-quality sample (``<= 0.15`` on the grid); Table 1 averages 5 runs.

Which parts apply to which algorithm (:data:`NETWORKS`):

* *the protocol's generator and discriminator kinds* (PacGAN's batch norm
  and maxout, ``arch``) apply to the algorithms built only from the library's
  generator, discriminator and encoder (:data:`GD_ALGORITHMS`): the
  two-player GANs, alpha-GAN, AGE, GMMN, AAE, WAE-GAN, WAE-MMD. Their
  encoder is the generator's kind at the generator's widths (ALI's 2-D
  encoder has the same layers, two of them).
* every other algorithm keeps the ReLU MLPs of ``arch = 'mlp'`` at the
  protocol's widths: the generator's for ``hidden`` (its generator, encoder,
  decoder, auto-encoder or info discriminator, MMD critic), the
  discriminator's for its discriminator-like head where it has one
  (``discriminator_hidden``, ``adversary_hidden``,
  ``code_discriminator_hidden``, ``latent_discriminator_hidden``). So ALI
  and BiGAN under PacGAN have ReLU, not maxout, joint discriminators and no
  batch norm: the library's joint discriminator and Gaussian encoder have
  no maxout or batch-norm MLP form.
* the latent size and N(0, I) apply wherever ``z`` is Gaussian noise; not to
  AGE (uniform on a sphere), Gumbel-softmax VAE (categorical), VQ-VAE (a
  codebook) or the flows (``z`` has the data's shape).
* Real NVP keeps its coupling networks; under the protocols only its WGAN
  critic takes the discriminator's widths.
* the optimizer applies to every network, also where the algorithm's paper
  chose another (WGAN's RMSProp, VAE-GAN's RMSProp, WGAN-GP's beta1 0): the
  protocol's point is one setting for all rows.
* a step is one generator update with the algorithm's own schedule around it
  (WGAN and WGAN-GP: 5 critic updates; AGE: 2 generator updates).

What no config can change, for every algorithm: the reference code trains
on a fixed sample of 100,000 points, here fresh samples each step (the
same law); PacGAN updates both players simultaneously from one batch
(``ali_algorithm``: both gradients, then both steps), the library's
two-player step updates D and then G on fresh noise; PacGAN's generator
normalises each of the ``m`` packed batches on its own statistics, here all
``m * B`` samples together; VEEGAN's generator takes one extra N(0, 1) input
(``eps_dim = 1``), here none. The batches (100, 500) split over 1, 2, 4 or 5
devices, not 8.
"""

from __future__ import annotations

import dataclasses
import functools

import ml_collections

from gengan_jax.core import ConfigError


@dataclasses.dataclass(frozen=True)
class Protocol:
  """The settings a paper fixes for its 2-D mixture table.

  Attributes:
    name: ``'pacgan'`` or ``'veegan'``.
    arch: the networks' kind for :data:`GD_ALGORITHMS`.
    latent_dim: dimension of ``z ~ N(0, I)``.
    generator_hidden: the generator's hidden widths (also encoders').
    discriminator_hidden: the discriminator's hidden widths.
    learning_rate, b1, b2, eps: Adam's settings, every network.
    batch_size: examples per step (PacGAN: packed examples).
    steps: training steps (generator updates).
    eval_samples: samples drawn for the evaluation.
    threshold_stds: high quality within this many standard deviations.
    runs: runs the paper's table averages.
    log_every, checkpoint_every, plot_every: the loop's intervals.
    reference: where the numbers come from.
  """

  name: str
  arch: str
  latent_dim: int
  generator_hidden: tuple[int, ...]
  discriminator_hidden: tuple[int, ...]
  learning_rate: float
  b1: float
  b2: float
  eps: float
  batch_size: int
  steps: int
  eval_samples: int
  threshold_stds: float
  runs: int
  log_every: int
  checkpoint_every: int
  plot_every: int
  reference: str


PROTOCOLS: dict[str, Protocol] = {
    "pacgan": Protocol(
        name="pacgan", arch="maxout_mlp", latent_dim=2,
        generator_hidden=(400, 400, 400, 400), discriminator_hidden=(200, 200, 200),
        learning_rate=1e-4, b1=0.8, b2=0.999, eps=1e-8, batch_size=100,
        steps=400 * 100_000 // 100, eval_samples=2500, threshold_stds=3.0, runs=10,
        log_every=1000, checkpoint_every=10_000, plot_every=100_000,
        reference="Lin et al., PacGAN, NeurIPS 2018, Table 1; fjxmlzn/PacGAN "
                  "synthetic_data_experiments/2D{Ring,Grid}_GAN&PacGAN"),
    "veegan": Protocol(
        name="veegan", arch="mlp", latent_dim=254,
        generator_hidden=(128, 128), discriminator_hidden=(128,),
        learning_rate=1e-3, b1=0.5, b2=0.999, eps=1e-8, batch_size=500,
        steps=100 * 1000, eval_samples=2500, threshold_stds=3.0, runs=5,
        log_every=1000, checkpoint_every=10_000, plot_every=25_000,
        reference="Srivastava et al., VEEGAN, NeurIPS 2017, Sec. 5.1, Table 1; "
                  "akashgit/VEEGAN 2-D notebook"),
}
MIXTURES = ("ring", "grid")
# The config variants, '<protocol>_<mixture>'.
VARIANTS = tuple(f"{p}_{m}" for p in PROTOCOLS for m in MIXTURES)

# The algorithms whose every network is the library's generator,
# discriminator or encoder (plus heads with widths of their own): they take
# the protocol's network kinds (`arch`).
GD_ALGORITHMS = frozenset({
    "gan", "dcgan", "hinge_gan", "lsgan", "fgan", "gan_penalty", "wgan", "wgan_gp",
    "alpha_gan", "age", "gmmn", "aae", "wae_gan", "wae_mmd"})


@dataclasses.dataclass(frozen=True)
class Networks:
  """How an algorithm takes a protocol's networks.

  Attributes:
    hidden: its ``hidden`` takes the generator's widths (false: a flow's
      coupling networks, left as they are).
    discriminators: its fields of discriminator-like widths, which take the
      discriminator's widths.
    gaussian_latent: its ``latent_dim`` is that of ``z ~ N(0, I)``.
  """

  hidden: bool = True
  discriminators: tuple[str, ...] = ()
  gaussian_latent: bool = True


_D = ("discriminator_hidden",)
NETWORKS: dict[str, Networks] = {
    **{name: Networks(discriminators=_D) for name in (
        "gan", "dcgan", "hinge_gan", "lsgan", "fgan", "gan_penalty", "wgan", "wgan_gp",
        "ali", "bigan", "veegan", "vae_gan")},
    "alpha_gan": Networks(discriminators=_D + ("code_discriminator_hidden",)),
    "aae": Networks(discriminators=("code_discriminator_hidden",)),
    "wae_gan": Networks(discriminators=("latent_discriminator_hidden",)),
    "avb": Networks(discriminators=("adversary_hidden",)),
    "age": Networks(gaussian_latent=False),
    **{name: Networks() for name in (
        "gmmn", "wae_mmd", "mmd_gan", "began", "ebgan", "infogan", "vae", "beta_vae", "iwae",
        "flow_prior_vae", "vamp_prior_vae")},
    **{name: Networks(gaussian_latent=False) for name in ("gumbel_vae", "vq_vae")},
    "real_nvp_mle": Networks(hidden=False, gaussian_latent=False),
    "real_nvp_wgan": Networks(hidden=False, discriminators=_D, gaussian_latent=False),
}


def split(variant: str) -> tuple[Protocol, str]:
  """``'pacgan_grid'`` -> (the PacGAN :class:`Protocol`, ``'grid'``).

  Raises:
    ConfigError: ``variant`` is not one of :data:`VARIANTS`.
  """
  name, _, mixture = str(variant).partition("_")
  if name not in PROTOCOLS or mixture not in MIXTURES:
    raise ConfigError(f"protocol variant {variant!r} is invalid: valid protocol variants are "
                      f"{', '.join(repr(v) for v in VARIANTS)}.")
  return PROTOCOLS[name], mixture


def _optimizer(p: Protocol) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(dict(learning_rate=p.learning_rate, b1=p.b1, b2=p.b2,
                                        eps=p.eps))


def apply(c: ml_collections.ConfigDict, variant: str) -> ml_collections.ConfigDict:
  """The config ``c`` (the algorithm's own ``ring`` or ``grid`` one) under ``variant``.

  Sets the mixture, the batch, the training length and intervals, the
  evaluation samples, Adam for every optimizer (``optimizer`` and every
  ``*_optimizer``), and the networks as :data:`NETWORKS` says; the
  algorithm's other hyper-parameters (loss weights, schedules, ``pack``)
  stay as its config has them.

  Raises:
    ConfigError: an unknown ``variant``, or an algorithm :data:`NETWORKS`
      does not know.
  """
  p, mixture = split(variant)
  if c.algorithm not in NETWORKS:
    raise ConfigError(f"config algorithm {c.algorithm!r} has no entry in the protocols' "
                      f"NETWORKS table; known: {', '.join(sorted(NETWORKS))}.")
  nets = NETWORKS[c.algorithm]
  c.data.name = mixture
  c.data.batch_size = p.batch_size
  c.train.steps = p.steps
  c.train.eval_samples = p.eval_samples
  c.train.log_every = p.log_every
  c.train.checkpoint_every = p.checkpoint_every
  c.train.plot_every = p.plot_every
  m = c.model
  if c.algorithm in GD_ALGORITHMS:
    m.arch = p.arch
  if nets.hidden:
    m.hidden = p.generator_hidden
  for field in nets.discriminators:
    m[field] = p.discriminator_hidden
  if nets.gaussian_latent:
    m.latent_dim = p.latent_dim
  for key in list(m.keys()):
    if key == "optimizer" or key.endswith("_optimizer"):
      m[key] = _optimizer(p)
  return c


def accepts_protocols(get_config):
  """Decorates a config file's ``get_config(arg)`` to accept :data:`VARIANTS` too.

  ``get_config('pacgan_grid')`` is ``apply(get_config('grid'), 'pacgan_grid')``;
  any other ``arg`` goes to ``get_config`` as it is.
  """
  @functools.wraps(get_config)
  def with_protocols(arg=None):
    if arg in VARIANTS:
      return apply(get_config(split(arg)[1]), arg)
    return get_config(arg)
  return with_protocols
