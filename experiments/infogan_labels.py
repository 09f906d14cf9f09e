r"""InfoGAN on MNIST: the categorical code against the digit labels, and traversals.

Chen et al. (2016), Sec. 7.2 / Table 1: on MNIST the 10-way categorical code
``c_1`` "can be used as a classifier that achieves 5% error rate in
classifying digits by matching each category in c_1 to a digit type".

For a trained ``infogan`` run (the ``mnist`` variant of
``experiments/configs/infogan.py``) this predicts Q's most probable category
for each of the 10,000 MNIST test digits, matches categories to digits by the
best one-to-one assignment (the permutation that maximises the number of
agreements; exact, by dynamic programming over subsets), and prints a table:

* ``error (best permutation)``: the paper's number (one category per digit);
* ``error (majority)``: each category mapped to its most frequent digit
  (many-to-one; a lower bound of the former);
* ``Q on own samples``: how often Q recovers the category of fresh samples
  ``G(z, c)`` (what the training maximises: the bound's categorical term);
* the digit each category is matched with.

It also draws the latent traversals of the paper's Figure 2: rows are the
categorical value 0-9 (labelled with the digit matched to it), columns one
continuous code swept from -2 to 2 (the prior is ``Uniform(-1, 1)``, so
the outer columns extrapolate), the noise and the other continuous codes
fixed. One picture per continuous code, ``infogan_traversal_c<k>.png`` in
``--out_dir`` (default: the run's directory).

Usage::

  python -m experiments.infogan_labels --workdir=/tmp/runs/infogan_mnist \
      [--step=1000 --step=2000] [--out_dir=...] [--mnist_dir=...]
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags, logging

from gengan_jax.algorithms import infogan
from gengan_jax.data import load_mnist_idx, preprocess_images

FLAGS = flags.FLAGS


def define_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines the command-line flags (when run as a script, not at import: the
  tests import this module beside the train command, whose flags share names)."""
  fv = {"flag_values": flag_values}
  flags.DEFINE_string("workdir", None, "An infogan run's directory (mnist variant).", **fv)
  flags.DEFINE_multi_integer("step", None, "Checkpoints to evaluate (default: the latest).",
                             **fv)
  flags.DEFINE_string("out_dir", None,
                      "Where to write the traversal pictures (default: workdir).", **fv)
  flags.DEFINE_string("mnist_dir", None, "Folder with t10k-*-ubyte.gz (default: the run's "
                      "data directory).", **fv)
  flags.DEFINE_integer("seed", 0, "Seed of the traversals' fixed noise and of Q's own samples.",
                       **fv)

SWEEP = np.linspace(-2.0, 2.0, 9)


def best_assignment(counts: np.ndarray) -> tuple[int, list[int]]:
  """The one-to-one assignment of rows to columns with the largest total count.

  Exact, by dynamic programming over the subsets of columns (``K 2^K``
  steps over the K columns of the smaller side). Rows are categories, columns labels; with more
  rows than columns the extra rows stay unassigned (``-1``).

  Args:
    counts: ``[K_rows, K_cols]`` co-occurrence counts, with at most 20 rows
      or columns on the smaller side.

  Returns:
    ``(total, assignment)``: the largest sum of ``counts[r, assignment[r]]``
    over distinct columns, and the column given to each row.
  """
  counts = np.asarray(counts)
  rows, cols = counts.shape
  if rows > cols:
    total, assign_t = best_assignment(counts.T)
    assignment = [-1] * rows
    for c, r in enumerate(assign_t):
      if r >= 0:
        assignment[r] = c
    return total, assignment
  if cols > 20:
    raise ValueError(f"best_assignment: {cols} columns is too many for the subset DP (<= 20).")
  # best[mask]: the best total of rows 0..popcount(mask)-1 using the columns in mask.
  neg = -np.inf
  best = np.full(1 << cols, neg)
  choice = np.full(1 << cols, -1, np.int64)
  best[0] = 0.0
  for mask in range(1 << cols):
    r = bin(mask).count("1")
    if best[mask] == neg or r >= rows:
      continue
    for c in range(cols):
      if not mask & (1 << c):
        nxt = mask | (1 << c)
        value = best[mask] + counts[r, c]
        if value > best[nxt]:
          best[nxt], choice[nxt] = value, c
  full = [m for m in range(1 << cols) if bin(m).count("1") == rows]
  mask = max(full, key=lambda m: best[m])
  total = best[mask]
  assignment = [0] * rows
  for r in range(rows - 1, -1, -1):
    c = int(choice[mask])
    assignment[r] = c
    mask ^= 1 << c
  return int(round(total)), assignment


def label_errors(categories: np.ndarray, labels: np.ndarray, num_categories: int,
                 num_labels: int = 10) -> dict:
  """Errors of ``categories`` as a classifier of ``labels``: best one-to-one
  matching and majority (many-to-one) mapping."""
  counts = np.zeros((num_categories, num_labels), np.int64)
  np.add.at(counts, (categories, labels), 1)
  total, assignment = best_assignment(counts)
  n = len(labels)
  return {
      "error_permutation": 1.0 - total / n,
      "error_majority": 1.0 - counts.max(axis=1).sum() / n,
      "assignment": assignment,
      "categories_used": int((counts.sum(axis=1) > 0).sum()),
      "counts": counts,
  }


def traversal(state, key: jax.Array, code: int) -> np.ndarray:
  """Images ``[K, len(SWEEP), H, W, C]``: row = category, column = continuous code
  ``code`` at each value of :data:`SWEEP`; noise and other codes fixed."""
  cfg = state.config
  k, m = cfg.categorical_codes[0], len(SWEEP)
  fixed = infogan.draw_codes(key, 1, cfg)
  noise = jnp.broadcast_to(fixed.noise, (k * m, cfg.latent_dim))
  categorical = jnp.zeros((k * m, len(cfg.categorical_codes)), jnp.int32)
  categorical = categorical.at[:, 0].set(jnp.repeat(jnp.arange(k), m))
  if len(cfg.categorical_codes) > 1:
    categorical = categorical.at[:, 1:].set(fixed.categorical[:, 1:])
  continuous = jnp.zeros((k * m, cfg.continuous_codes))
  continuous = continuous.at[:, code].set(jnp.tile(jnp.asarray(SWEEP, jnp.float32), k))
  images = infogan.generate(state, infogan.Codes(noise, categorical, continuous))
  return np.asarray(images).reshape((k, m) + images.shape[1:])


def draw_traversal(path: str, images: np.ndarray, row_labels: list[str], title: str) -> None:
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  rows, cols, h, w, _ = images.shape
  grid = np.ones((rows * (h + 2), cols * (w + 2)), np.float32)
  for r in range(rows):
    for c in range(cols):
      grid[r * (h + 2) + 1:r * (h + 2) + 1 + h, c * (w + 2) + 1:c * (w + 2) + 1 + w] = (
          np.clip((images[r, c, ..., 0] + 1.0) / 2.0, 0.0, 1.0))
  fig, ax = plt.subplots(figsize=(cols * 0.55 + 1.4, rows * 0.55 + 0.9), dpi=100)
  ax.imshow(grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
  ax.set_yticks([r * (h + 2) + 1 + h / 2 for r in range(rows)], row_labels, fontsize=7)
  ax.set_xticks([c * (w + 2) + 1 + w / 2 for c in range(cols)],
                [f"{v:g}" for v in SWEEP], fontsize=7)
  ax.tick_params(length=0)
  for side in ax.spines.values():
    side.set_visible(False)
  ax.set_title(title, fontsize=8)
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


def evaluate(workdir: str, step: int | None, images: np.ndarray, labels: np.ndarray,
             seed: int) -> tuple[dict, object]:
  from gengan_jax.evaluate.loading import load_run

  exp, state, step = load_run(workdir, step=step)
  if exp.config.algorithm != "infogan":
    raise ValueError(f"{workdir!r} is a {exp.config.algorithm!r} run; this script reads infogan runs.")
  cfg = state.config
  if not cfg.categorical_codes:
    raise ValueError(f"{workdir!r}: the run has no categorical code.")
  predict = jax.jit(lambda x: infogan.predict_codes(state, x)[0][:, 0])
  categories = np.concatenate([np.asarray(predict(images[i:i + 500]))
                               for i in range(0, len(images), 500)])
  result = label_errors(categories, labels, cfg.categorical_codes[0])
  codes = infogan.draw_codes(jax.random.key(seed + 1), 2000, cfg)
  own = jax.jit(lambda c: infogan.predict_codes(state, infogan.generate(state, c))[0])(codes)
  result["q_on_own_samples"] = float(np.mean(np.asarray(own) == np.asarray(codes.categorical)))
  result["step"] = step
  return result, state


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # orbax's restore chatter
  from gengan_jax.evaluate.loading import load_run  # noqa: F401  (fails early if absent)

  workdir = FLAGS.workdir
  mnist_dir = FLAGS.mnist_dir
  if mnist_dir is None:
    import json
    with open(os.path.join(workdir, "config.json")) as f:
      mnist_dir = json.load(f)["data"]["directory"]
  images_u8, labels = load_mnist_idx(mnist_dir, "test")
  images = preprocess_images(images_u8)
  steps = FLAGS.step or [None]
  rows = ["| run | step | test digits | error (best permutation) | error (majority) | "
          "categories used | Q on own samples | digit matched to category 0..9 |",
          "|---|---|---|---|---|---|---|---|"]
  result = state = None
  for step in steps:
    result, state = evaluate(workdir, step, images, labels, FLAGS.seed)
    rows.append(
        f"| {os.path.basename(os.path.normpath(workdir))} | {result['step']} | {len(labels)} | "
        f"{100 * result['error_permutation']:.1f}% | {100 * result['error_majority']:.1f}% | "
        f"{result['categories_used']} / {len(result['assignment'])} | "
        f"{100 * result['q_on_own_samples']:.1f}% | "
        f"{' '.join(str(d) for d in result['assignment'])} |")
  print("\n".join(rows))
  print("\nco-occurrence counts of the last step (rows: category, columns: digit 0-9):")
  for i, row in enumerate(result["counts"]):
    print(f"  c={i}: " + " ".join(f"{v:5d}" for v in row))

  out_dir = FLAGS.out_dir or workdir
  os.makedirs(out_dir, exist_ok=True)
  cfg = state.config
  row_labels = [f"c={i} ({d})" for i, d in enumerate(result["assignment"])]
  for code in range(cfg.continuous_codes):
    pictures = traversal(state, jax.random.key(FLAGS.seed), code)
    path = os.path.join(out_dir, f"infogan_traversal_c{code + 1}.png")
    draw_traversal(path, pictures, row_labels,
                   f"step {result['step']}: rows categorical code (matched digit), "
                   f"columns continuous code {code + 1} from -2 to 2")
    print(f"wrote {path}")


if __name__ == "__main__":
  define_flags()
  flags.mark_flag_as_required("workdir")
  app.run(main)
