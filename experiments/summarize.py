r"""Prints a markdown table of the evaluations of finished runs.

Usage::

  python -m experiments.summarize workdirs/*_ring workdirs/*_grid

Reads each work directory's ``summary.json`` (written at the end of
``experiments.train``).
"""

from __future__ import annotations

import json
import os
import sys


def table(workdirs: list[str]) -> str:
  rows = ["| run | algorithm | data | steps | modes covered | high-quality samples | reverse KL | wall s |",
          "|---|---|---|---|---|---|---|---|"]
  for w in workdirs:
    path = os.path.join(w, "summary.json")
    if not os.path.isfile(path):
      print(f"skipping {w}: no summary.json (has the run finished?)", file=sys.stderr)
      continue
    with open(path) as f:
      s = json.load(f)
    e = s.get("evaluation") or {}
    modes = f"{e['modes_covered']} / {e['num_modes']}" if e else "-"
    hq = f"{100 * e['high_quality_fraction']:.1f}%" if e else "-"
    kl = f"{e['reverse_kl']:.3f}" if e else "-"
    rows.append(f"| {os.path.basename(os.path.normpath(w))} | {s['algorithm']} | {s['data']} | "
                f"{s['step']} | {modes} | {hq} | {kl} | {s['seconds_this_run']:.0f} |")
  return "\n".join(rows)


if __name__ == "__main__":
  if len(sys.argv) < 2:
    sys.exit(__doc__)
  print(table(sys.argv[1:]))
