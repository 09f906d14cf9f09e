"""Pieces shared by the experiment configs.

There is one config file per algorithm, ``experiments/configs/<algorithm>.py``,
and its data variants are chosen as in big_vision: ``get_config(arg)``
receives the text after ``:`` in ``--config=experiments/configs/dcgan.py:grid``
(see :data:`VARIANTS`; no ``:`` is ``ring``).

The variants, the same for every algorithm:

* ``ring`` (the default): the 2-D ring of 8 Gaussians (radius 1, std 0.01;
  VEEGAN/PacGAN), MLPs;
* ``grid``: the ring's settings on the 2-D grid of 25 Gaussians (spacing 2,
  std 0.05; VEEGAN/PacGAN);
* ``mnist``: MNIST 28x28 (local IDX files: ``$GENGAN_MNIST_DIR``, see
  :func:`mnist_directory`), DCGAN-style networks;
* ``pacgan_ring``, ``pacgan_grid``, ``veegan_ring``, ``veegan_grid``: a
  paper's 2-D mixture protocol on top of the ring or grid config, for every
  config file decorated with :func:`accepts_protocols` (see
  ``common_protocols.py``);
* ``stacked_mnist``, ``cifar10``, ``celeb_a``: the alpha-GAN paper's image
  experiments on top of the mnist config, for its four algorithms (alpha_gan,
  dcgan, wgan_gp, age), decorated with :func:`accepts_images` (see
  ``common_images.py``);
* ``pacgan_stacked_mnist``, ``pacgan_stacked_mnist_d4``,
  ``pacgan_stacked_mnist_d2``: PacGAN's Stacked MNIST protocols (its Tables 2
  and 3) on top of the mnist config, for dcgan, gan and alpha_gan, decorated
  with :func:`accepts_stacked_mnist` (see ``common_stacked_mnist.py``).

Every config has the same top-level shape:

* ``algorithm``: a name from ``gengan_jax.algorithms.REGISTRY``;
* ``seed``: the run is a function of its config and this seed;
* ``model``: the algorithm's hyper-parameters (fields of its ``Config``);
* ``data``: ``source`` and its keys (see ``gengan_jax.data.make_dataset``)
  plus ``batch_size`` (the global batch, split over all devices); the keys of
  every other source are there too, unset (``None``), so that the command
  line can switch the source (:func:`data`);
* ``train``: ``steps``, ``log_every``, ``checkpoint_every``,
  ``keep_checkpoints``, ``plot_every`` (0: pictures only at the end),
  ``eval_samples`` (2,500 for the mixture benchmarks), ``progress``,
  ``nonfinite`` (``'stop'`` or ``'skip'``: what a NaN/Inf step does),
  ``max_consecutive_skips`` (with ``'skip'``: stop after this many skipped
  steps in a row),
  ``steps_per_call`` (steps per compiled call, a ``lax.scan``; 1 here. The
  toy MLP steps gain ~10-25% from 100: the same steps, data and keys, but
  XLA compiles a loop body differently, so float rounding differs and a GAN
  run drifts from the one-step-per-call run -- the quick-start alpha-GAN
  ring job ends with 7/8 modes instead of 8/8. The published results use 1).
"""

from __future__ import annotations

import os

import ml_collections
from ml_collections import config_dict

from gengan_jax import data as data_lib
from gengan_jax.configs.common_protocols import VARIANTS as PROTOCOL_VARIANTS
from gengan_jax.configs.common_protocols import accepts_protocols  # noqa: F401
from gengan_jax.configs.common_images import ALGORITHMS as IMAGE_ALGORITHMS
from gengan_jax.configs.common_images import VARIANTS as IMAGE_VARIANTS
from gengan_jax.configs.common_images import accepts_images  # noqa: F401
from gengan_jax.configs.common_stacked_mnist import ALGORITHMS as STACKED_MNIST_ALGORITHMS
from gengan_jax.configs.common_stacked_mnist import VARIANTS as STACKED_MNIST_VARIANTS
from gengan_jax.configs.common_stacked_mnist import accepts_stacked_mnist  # noqa: F401
from gengan_jax.core import ConfigError

# The data variants of every config file; the first is the default.
VARIANTS = ("ring", "grid", "mnist")

# Where the ``mnist`` variants find the digits: this environment variable,
# else the shared folder beside the repository (the development machines'),
# else nowhere (see MISSING_MNIST).
MNIST_ENV = "GENGAN_MNIST_DIR"
SHARED_MNIST_DIR = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "mnist"))
# Not a directory: the loop's data check rejects it in one line that says how
# to give the digits.
MISSING_MNIST = (
    f"<no MNIST digits: set {MNIST_ENV} or --config.data.directory to a folder with "
    "the IDX gzip files train5k-images-idx3-ubyte.gz, train5k-labels-idx1-ubyte.gz "
    "(or the standard train-*-ubyte.gz with --config.data.split=train; t10k-*-ubyte.gz "
    "for evaluation), or use --config.data.source=tfds --config.data.name=mnist "
    "--config.data.split=train>")

# The type of each data key that is not a string (for the placeholders).
_DATA_KEY_TYPES = {"limit": int, "num_images": int, "stack_seed": int, "fresh": bool,
                   "crop": int, "resize": int}


def variant(arg: str | None) -> str:
  """The data variant named by ``arg`` (``None`` or ``''``: the default).

  Raises:
    ConfigError: ``arg`` is not one of :data:`VARIANTS`.
  """
  if arg is None or arg == "":
    return VARIANTS[0]
  if arg not in VARIANTS:
    raise ConfigError(
        f"config variant {arg!r} (the text after ':' in --config=<file>.py:<variant>) is "
        f"invalid: valid variants are {', '.join(repr(v) for v in VARIANTS)} (default "
        f"{VARIANTS[0]!r}), and the papers' protocols "
        f"{', '.join(repr(v) for v in PROTOCOL_VARIANTS)}; {', '.join(IMAGE_ALGORITHMS)} "
        f"also take the alpha-GAN paper's image variants "
        f"{', '.join(repr(v) for v in IMAGE_VARIANTS)}; {', '.join(STACKED_MNIST_ALGORITHMS)} "
        f"take PacGAN's Stacked MNIST variants "
        f"{', '.join(repr(v) for v in STACKED_MNIST_VARIANTS)}.")
  return arg


def mnist_directory() -> str:
  """The MNIST folder: ``$GENGAN_MNIST_DIR``, else :data:`SHARED_MNIST_DIR` if
  it exists, else :data:`MISSING_MNIST` (which the loop rejects, saying how)."""
  directory = os.environ.get(MNIST_ENV)
  if directory:
    return directory
  if os.path.isdir(SHARED_MNIST_DIR):
    return SHARED_MNIST_DIR
  return MISSING_MNIST


def data(source: str, batch_size: int, **settings) -> ml_collections.ConfigDict:
  """A data section: ``source``, its ``settings``, ``batch_size``, and the rest.

  The keys of every other source in ``gengan_jax.data.SOURCES`` are typed
  ``None`` placeholders, so that ``--config.data.source=npz
  --config.data.path=x.npz`` is accepted on the command line;
  ``default_source`` records ``source``: when the command line names another
  source, the loop ignores the ``settings`` that the new one does not read,
  and rejects any other key that it does not read unless it is unset.
  """
  section = ml_collections.ConfigDict(dict(source=source, **settings, batch_size=batch_size))
  for key in sorted({k for keys in data_lib.SOURCES.values() for k in keys[0] + keys[1]}):
    if key not in section:
      section[key] = config_dict.placeholder(_DATA_KEY_TYPES.get(key, str))
  section.default_source = source
  return section


def base(algorithm: str) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.algorithm = algorithm
  c.seed = 0
  c.model = ml_collections.ConfigDict()
  c.data = ml_collections.ConfigDict()
  c.train = ml_collections.ConfigDict(dict(
      steps=5000, log_every=100, checkpoint_every=1000, keep_checkpoints=3,
      plot_every=0, eval_samples=2500, progress=True, nonfinite="stop",
      max_consecutive_skips=100, steps_per_call=1, ema_decay=0.0))
  return c


def toy(c: ml_collections.ConfigDict, name: str) -> ml_collections.ConfigDict:
  """2-D mixture ``name`` ('ring' or 'grid'), MLP networks."""
  c.data = data("toy", 128, name=name)
  c.model.arch = "mlp"
  c.model.latent_dim = 8
  c.model.hidden = (128, 128, 128)
  return c


def mnist(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """MNIST 28x28 from local IDX files (:func:`mnist_directory`), DCGAN-style networks."""
  c.data = data("idx", 64, directory=mnist_directory(), split="train5k")
  c.model.arch = "dcgan"
  c.model.latent_dim = 32
  c.model.base_features = 32
  c.train.steps = 1000
  c.train.log_every = 50
  c.train.checkpoint_every = 250
  c.train.plot_every = 250
  return c


def two_player(algorithm: str, v: str) -> ml_collections.ConfigDict:
  """A two-player GAN on variant ``v``: the toys with batch 256, 20,000 steps
  and a 2-D latent, or :func:`mnist`; both networks Adam 2e-4 with beta1 0.5
  (beta2 0.9 on the toys, 0.999 on MNIST); ``pack = 1`` (PacGAN's m, samples
  per discriminator input: ``--config.model.pack=2``)."""
  if v == "mnist":
    c = mnist(base(algorithm))
    b2 = 0.999
  else:
    c = toy(base(algorithm), v)
    c.data.batch_size = 256
    c.train.steps = 20000
    c.train.plot_every = 5000
    c.model.latent_dim = 2
    b2 = 0.9
  c.model.generator_optimizer = adam(2e-4, 0.5, b2)
  c.model.discriminator_optimizer = adam(2e-4, 0.5, b2)
  c.model.pack = 1
  return c


def adam(learning_rate: float, b1: float, b2: float) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(dict(learning_rate=learning_rate, b1=b1, b2=b2))


def rmsprop(learning_rate: float, decay: float = 0.99,
            eps: float = 1e-8) -> ml_collections.ConfigDict:
  """RMSProp with PyTorch's defaults (``alpha`` 0.99, ``eps`` 1e-8)."""
  return ml_collections.ConfigDict(dict(learning_rate=learning_rate, name="rmsprop",
                                        decay=decay, eps=eps))
