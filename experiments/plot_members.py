r"""One row of finished runs' sample pictures, each titled with its evaluation.

Usage::

  python -m experiments.plot_members --out=docs/images/veegan_veegan_grid_seeds.png \
      --title="VEEGAN under VEEGAN's grid protocol" /work/protocols/veegan_veegan_grid/members/*

Reads each work directory's ``summary.json`` (written when a run, or a
population member, finishes) and its ``samples.png`` (the loop's last sample
picture), and draws them side by side under titles such as ``seed 3: 25
modes, 64.6% HQ`` (the seed, and the setting when the member has one; modes
covered and the high-quality share where the run was evaluated on a
mixture). The picture of a population's spread over seeds that the
protocol tables of docs/results.md show.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap


def caption(summary: dict) -> str:
  """``'seed 3 (lr=0.001): 25 modes, 64.6% HQ'`` from a run's ``summary.json``
  (the parts it has: no evaluation, no modes)."""
  head = f"seed {summary.get('seed', '?')}"
  values = summary.get("values") or {}
  if values:
    head += " (" + ", ".join(f"{k.rsplit('.', 1)[-1]}={v:g}" if isinstance(v, float)
                             else f"{k.rsplit('.', 1)[-1]}={v}"
                             for k, v in sorted(values.items())) + ")"
  evaluation = summary.get("evaluation") or {}
  parts = []
  if "modes_covered" in evaluation:
    parts.append(f"{evaluation['modes_covered']} modes")
  if "high_quality_fraction" in evaluation:
    parts.append(f"{100 * evaluation['high_quality_fraction']:.1f}% HQ")
  return head + (": " + ", ".join(parts) if parts else "")


def read_member(workdir: str) -> tuple[str, str]:
  """``(caption, path of samples.png)`` of a finished run.

  Raises:
    SystemExit: no ``summary.json`` (unfinished, or not a run) or no
      ``samples.png``, naming the directory.
  """
  summary_path = os.path.join(workdir, "summary.json")
  if not os.path.isfile(summary_path):
    raise SystemExit(f"error: {workdir} has no summary.json (has the run finished?).")
  picture = os.path.join(workdir, "samples.png")
  if not os.path.isfile(picture):
    raise SystemExit(f"error: {workdir} has no samples.png (the loop writes it at the end of "
                     "a run with plot_every > 0).")
  with open(summary_path) as f:
    try:
      summary = json.load(f)
    except json.JSONDecodeError as e:
      raise SystemExit(f"error: {summary_path} is not JSON ({e.msg}).") from None
  return caption(summary), picture


def plot(workdirs: list[str], out: str, title: str | None = None) -> list[str]:
  """Draws the row to ``out`` (PNG); returns the captions, in order."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.image as mpimg  # pylint: disable=g-import-not-at-top
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  members = [read_member(w) for w in workdirs]
  fig, axes = plt.subplots(1, len(members), figsize=(4 * len(members), 4.2), squeeze=False)
  for ax, (text, picture) in zip(axes[0], members):
    ax.imshow(mpimg.imread(picture))
    ax.set_title(textwrap.fill(text, 36), fontsize=10)  # long settings wrap, never overlap
    ax.axis("off")
  if title:
    fig.suptitle(title)
  fig.tight_layout(rect=(0, 0, 1, 0.92) if title else None)
  os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
  fig.savefig(out, dpi=100)
  plt.close(fig)
  return [text for text, _ in members]


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(prog="python -m experiments.plot_members",
                                   description=__doc__.split("\n\n")[0])
  parser.add_argument("workdirs", nargs="+", help="finished runs' work directories")
  parser.add_argument("--out", required=True, help="the PNG to write")
  parser.add_argument("--title", default=None)
  args = parser.parse_args(argv)
  for text in plot(args.workdirs, args.out, args.title):
    print(text)
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main(sys.argv[1:])
