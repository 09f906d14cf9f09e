r"""Trains the MNIST evaluation classifier and saves it with orbax.

Usage::

  python -m experiments.train_classifier \
      [--data_dir=../shared/data/mnist] [--train_split=train5k] \
      [--output=gengan_jax/assets/mnist_classifier] [--epochs=30]

Trains :class:`gengan_jax.nets.MNISTClassifier` on ``train_split`` (default:
the 5,000-digit subset kept beside the repository) with Adam, a cosine
learning-rate decay, dropout 0.5 and random shifts of up to 2 pixels; reports
the accuracy on the 10,000 MNIST test digits (``t10k``); saves the parameters
and a record of the run (held-out accuracy, data, settings) where
:func:`gengan_jax.metrics.classifier.load_mnist_classifier` finds them.
The held-out accuracy must reach ``--min_accuracy`` (0.98) or nothing is
saved.
"""

from __future__ import annotations

import os
import sys
import time

from absl import app, flags, logging

_DEFAULT_DATA = os.path.normpath(os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "mnist"))

def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines the command-line flags (when run as a script, not at import)."""
  fv = {"flag_values": flag_values}
  flags.DEFINE_string("data_dir", _DEFAULT_DATA, "Folder with MNIST IDX files.", **fv)
  flags.DEFINE_string("train_split", "train5k", "IDX prefix of the training digits.", **fv)
  flags.DEFINE_string("test_split", "test", "IDX split of the held-out digits.", **fv)
  flags.DEFINE_string("output", None,
                      "Where to save (default: gengan_jax/assets/mnist_classifier, the "
                      "weights the library ships).", **fv)
  flags.DEFINE_integer("epochs", 30, "Passes over the training digits.", **fv)
  flags.DEFINE_integer("batch_size", 128, "Batch size.", **fv)
  flags.DEFINE_float("learning_rate", 2e-3, "Peak Adam learning rate (cosine decay to 0).", **fv)
  flags.DEFINE_integer("max_shift", 2, "Random shifts of up to this many pixels.", **fv)
  flags.DEFINE_integer("seed", 0, "Seed of initialisation, order, shifts and dropout.", **fv)
  flags.DEFINE_float("min_accuracy", 0.98, "Refuse to save below this test accuracy.", **fv)


def random_shift(key, images, max_shift: int):
  """Shifts each image by up to ``max_shift`` pixels in each direction.

  Pads ``images [B, H, W, C]`` with the background value ``-1`` by
  ``max_shift`` on every side and crops a random ``H x W`` window per image.
  """
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  if max_shift == 0:
    return images
  b, h, w, c = images.shape
  s = max_shift
  padded = jnp.pad(images, ((0, 0), (s, s), (s, s), (0, 0)), constant_values=-1.0)
  offsets = jax.random.randint(key, (b, 2), 0, 2 * s + 1)
  crop = lambda img, o: jax.lax.dynamic_slice(img, (o[0], o[1], 0), (h, w, c))
  return jax.vmap(crop)(padded, offsets)


def train(data_dir: str, *, train_split: str = "train5k", test_split: str = "test",
          epochs: int = 30, batch_size: int = 128, learning_rate: float = 2e-3,
          max_shift: int = 2, seed: int = 0, log=print):
  """Trains the classifier; returns ``(module, params, record)``."""
  import jax  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  import optax  # pylint: disable=g-import-not-at-top
  from flax.training import train_state  # pylint: disable=g-import-not-at-top

  from gengan_jax import data, nets  # pylint: disable=g-import-not-at-top
  from gengan_jax.metrics import classifier as clf  # pylint: disable=g-import-not-at-top

  x_train, y_train = data.load_mnist_idx(data_dir, train_split)
  x_test, y_test = data.load_mnist_idx(data_dir, test_split)
  if y_train is None or y_test is None:
    raise FileNotFoundError(f"train_classifier: labels missing in {data_dir!r}.")
  x_train, x_test = data.preprocess_images(x_train), data.preprocess_images(x_test)
  n = len(x_train)
  steps_per_epoch = n // batch_size
  total = epochs * steps_per_epoch

  module = nets.MNISTClassifier()
  key = jax.random.key(seed)
  init_key, run_key = jax.random.split(key)
  params = module.init(init_key, jnp.zeros((1,) + x_train.shape[1:]), train=False)["params"]
  schedule = optax.cosine_decay_schedule(learning_rate, total)
  state = train_state.TrainState.create(apply_fn=module.apply, params=params,
                                        tx=optax.adam(schedule))

  @jax.jit
  def step(state, x, y, key):
    shift_key, dropout_key = jax.random.split(jax.random.fold_in(key, state.step))
    x = random_shift(shift_key, x, max_shift)

    def loss_fn(p):
      logits = state.apply_fn({"params": p}, x, train=True, rngs={"dropout": dropout_key})
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads), loss

  logits_fn = jax.jit(lambda p, x: module.apply({"params": p}, x, train=False))

  def accuracy(p, x, y):
    logits = clf.apply_in_batches(lambda b: logits_fn(p, b), x, batch_size=1000)
    return float(np.mean(np.argmax(logits, -1) == y))

  t0 = time.time()
  for epoch in range(epochs):
    perm = np.random.default_rng([seed, epoch]).permutation(n)
    losses = []
    for i in range(steps_per_epoch):
      idx = perm[i * batch_size:(i + 1) * batch_size]
      state, loss = step(state, x_train[idx], y_train[idx], run_key)
      losses.append(loss)
    if (epoch + 1) % 5 == 0 or epoch + 1 == epochs:
      log(f"epoch {epoch + 1:3d}/{epochs}  loss {float(np.mean(jax.device_get(losses))):.4f}  "
          f"test accuracy {accuracy(state.params, x_test, y_test):.4f}  "
          f"({time.time() - t0:.0f} s)")
  train_acc = accuracy(state.params, x_train, y_train)
  test_acc = accuracy(state.params, x_test, y_test)
  record = {
      "test_accuracy": test_acc, "train_accuracy": train_acc,
      "train_split": train_split, "train_examples": int(n),
      "test_split": test_split, "test_examples": int(len(x_test)),
      "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
      "max_shift": max_shift, "seed": seed, "seconds": round(time.time() - t0, 1),
  }
  return module, state.params, record


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it writes.
  from gengan_jax.metrics import classifier as clf  # pylint: disable=g-import-not-at-top
  fv = flags.FLAGS
  output = fv.output or clf.DEFAULT_CLASSIFIER_PATH
  module, params, record = train(
      fv.data_dir, train_split=fv.train_split, test_split=fv.test_split,
      epochs=fv.epochs, batch_size=fv.batch_size, learning_rate=fv.learning_rate,
      max_shift=fv.max_shift, seed=fv.seed)
  print(f"held-out accuracy on {record['test_examples']} {record['test_split']} digits: "
        f"{record['test_accuracy']:.4f} (train {record['train_accuracy']:.4f})")
  if record["test_accuracy"] < fv.min_accuracy:
    sys.exit(f"error: held-out accuracy {record['test_accuracy']:.4f} < "
             f"--min_accuracy={fv.min_accuracy}; not saved.")
  path = clf.save_classifier(output, module, params, input_shape=(28, 28, 1), meta=record)
  print(f"saved to {path}")


if __name__ == "__main__":
  define_flags()
  app.run(main)
