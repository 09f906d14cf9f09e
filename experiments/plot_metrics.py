r"""Plots logged metrics of several runs against the step, one panel per metric.

Usage::

  python -m experiments.plot_metrics --metrics=kl_real,kl_fake \
      --out=curves.png workdirs/age_ring workdirs/age_ring_lambda_x30 \
      [--labels="lambda_x 1,lambda_x 30"] [--log=kl_fake]

Reads each work directory's ``metrics.jsonl`` (the training loop's log: one
JSON object per logged step; a population member's directory
``<pop>/members/<i>`` is a work directory too) and draws every named metric
as one line per run. Where the TensorBoard view is not at hand -- a README,
an issue note, a remote machine -- this is the picture of how a run went.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np


def read_curves(workdir: str, metrics: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
  """``{metric: (steps, values)}`` of the records of ``workdir``'s
  ``metrics.jsonl`` that hold that metric (sorted by step; a resumed run's
  repeated steps keep their last record).

  Raises:
    SystemExit: no ``metrics.jsonl``, a line that is not JSON, or a metric
      that no record holds (the message lists the ones that exist).
  """
  path = os.path.join(workdir, "metrics.jsonl")
  if not os.path.isfile(path):
    raise SystemExit(f"error: {workdir} has no metrics.jsonl (is it a run's work directory?).")
  by_step: dict[str, dict[int, float]] = {m: {} for m in metrics}
  seen: set[str] = set()
  with open(path) as f:
    for number, line in enumerate(f, 1):
      if not line.strip():
        continue
      try:
        record = json.loads(line)
      except json.JSONDecodeError as e:
        raise SystemExit(f"error: {path} line {number} is not JSON ({e.msg}).") from None
      seen.update(k for k in record if k != "step")
      for m in metrics:
        if m in record:
          by_step[m][int(record["step"])] = float(record[m])
  missing = [m for m in metrics if not by_step[m]]
  if missing:
    raise SystemExit(f"error: {path} logs no {', '.join(missing)}; it logs "
                     f"{', '.join(sorted(seen)) or 'nothing'}.")
  out = {}
  for m in metrics:
    steps = np.array(sorted(by_step[m]), np.int64)
    out[m] = (steps, np.array([by_step[m][s] for s in steps], np.float64))
  return out


def plot(path: str, curves: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
         metrics: list[str], *, log_scale: tuple[str, ...] = (), title: str = "") -> None:
  """Writes ``path``: one panel per metric, one line per run.

  Args:
    path: the PNG to write.
    curves: ``{run label: read_curves(...)}``.
    metrics: the panels, in order.
    log_scale: metrics drawn on a log y axis.
    title: the figure's title.
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.0), dpi=110,
                           squeeze=False)
  for ax, m in zip(axes[0], metrics):
    for label, c in curves.items():
      steps, values = c[m]
      ax.plot(steps, values, lw=1, label=label)
    if m in log_scale:
      ax.set_yscale("log")
    ax.set_title(m, fontsize=9)
    ax.set_xlabel("step", fontsize=8)
    ax.tick_params(labelsize=7)
  axes[0][0].legend(fontsize=7)
  if title:
    fig.suptitle(title, fontsize=10)
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path)
  plt.close(fig)


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(prog="python -m experiments.plot_metrics",
                                   description=__doc__.split("\n\n")[0])
  parser.add_argument("workdirs", nargs="+", help="run work directories")
  parser.add_argument("--metrics", required=True, help="comma-separated metric names")
  parser.add_argument("--out", required=True, help="the PNG to write")
  parser.add_argument("--labels", default="", help="comma-separated labels, one per run "
                      "(default: the directories' names)")
  parser.add_argument("--log", default="", help="comma-separated metrics on a log axis")
  parser.add_argument("--title", default="")
  args = parser.parse_args(argv)
  metrics = [m for m in args.metrics.split(",") if m]
  labels = ([s.strip() for s in args.labels.split(",")] if args.labels else
            [os.path.basename(os.path.normpath(w)) for w in args.workdirs])
  if len(labels) != len(args.workdirs):
    raise SystemExit(f"error: --labels has {len(labels)} labels for {len(args.workdirs)} "
                     "work directories; give one per directory.")
  curves = {label: read_curves(w, metrics) for label, w in zip(labels, args.workdirs)}
  plot(args.out, curves, metrics, log_scale=tuple(m for m in args.log.split(",") if m),
       title=args.title)
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main(sys.argv[1:])
