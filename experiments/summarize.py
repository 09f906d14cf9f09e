r"""Prints a markdown table of the evaluations of finished runs.

Usage::

  python -m experiments.summarize workdirs/*_ring workdirs/*_grid
  python -m experiments.summarize --over_seeds workdirs/*_s[0-9]

Reads each work directory's ``summary.json`` (written at the end of
``experiments.train``). With ``--over_seeds`` it prints one row per
algorithm and columns per data set: the mean and sample standard deviation
of each number over the runs (seeds) of that algorithm on that data.
"""

from __future__ import annotations

import collections
import json
import os
import sys

import numpy as np


def _summaries(workdirs: list[str]) -> list[tuple[str, dict]]:
  out = []
  for w in workdirs:
    path = os.path.join(w, "summary.json")
    if not os.path.isfile(path):
      print(f"skipping {w}: no summary.json (has the run finished?)", file=sys.stderr)
      continue
    with open(path) as f:
      out.append((w, json.load(f)))
  return out


def table(workdirs: list[str]) -> str:
  rows = ["| run | algorithm | data | steps | modes covered | high-quality samples | reverse KL | wall s |",
          "|---|---|---|---|---|---|---|---|"]
  for w, s in _summaries(workdirs):
    e = s.get("evaluation") or {}
    steps = f"{s['step']} (stopped at {s['stopped_at']})" if s.get("stopped") else s["step"]
    modes = f"{e['modes_covered']} / {e['num_modes']}" if e else "-"
    hq = f"{100 * e['high_quality_fraction']:.1f}%" if e else "-"
    kl = f"{e['reverse_kl']:.3f}" if e else "-"
    rows.append(f"| {os.path.basename(os.path.normpath(w))} | {s['algorithm']} | {s['data']} | "
                f"{steps} | {modes} | {hq} | {kl} | {s['seconds_this_run']:.0f} |")
  return "\n".join(rows)


def mean_sd(values: list[float], spec: str) -> str:
  """``mean ± sd`` of the finite values, and how many were infinite (a reverse
  KL is ``inf`` for a run without a high-quality sample)."""
  v = np.asarray(values, np.float64)
  finite = v[np.isfinite(v)]
  note = "" if len(finite) == len(v) else f"; {len(v) - len(finite)} of {len(v)} runs inf"
  if not len(finite):
    return f"inf ({len(v)} of {len(v)} runs)"
  sd = float(finite.std(ddof=1)) if len(finite) > 1 else 0.0
  return f"{format(float(finite.mean()), spec)} ± {format(sd, spec)}{note}"


def seed_table(workdirs: list[str]) -> str:
  """One row per algorithm; per data set the mean ± sd over its runs of the
  modes covered, the high-quality share (%) and the reverse KL, and the
  number of runs."""
  runs: dict[tuple[str, str], list[dict]] = collections.defaultdict(list)
  for w, s in _summaries(workdirs):
    if s.get("stopped"):
      print(f"skipping {w}: a population member stopped at step {s['stopped_at']} "
            "(non-finite), not scored", file=sys.stderr)
    elif s.get("evaluation"):
      runs[(s["algorithm"], s["data"])].append(s["evaluation"])
  datasets = sorted({d for _, d in runs}, key=lambda d: (d != "ring", d))
  header = ["algorithm"]
  for d in datasets:
    header += [f"{d}: modes", f"{d}: high quality (%)", f"{d}: reverse KL", f"{d}: runs"]
  rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  for algorithm in sorted({a for a, _ in runs}):
    cells = [algorithm]
    for d in datasets:
      e = runs.get((algorithm, d), [])
      if not e:
        cells += ["-"] * 4
        continue
      cells += [mean_sd([r["modes_covered"] for r in e], ".1f") + f" / {e[0]['num_modes']}",
                mean_sd([100 * r["high_quality_fraction"] for r in e], ".1f"),
                mean_sd([r["reverse_kl"] for r in e], ".3f"), str(len(e))]
    rows.append("| " + " | ".join(cells) + " |")
  return "\n".join(rows)


if __name__ == "__main__":
  args = sys.argv[1:]
  over_seeds = "--over_seeds" in args
  args = [a for a in args if a != "--over_seeds"]
  if not args:
    sys.exit(__doc__)
  print(seed_table(args) if over_seeds else table(args))
