"""The thin loop: mesh, sharded step, checkpoints, metrics, pictures."""

from gengan_jax.train.checkpoint import Checkpointer
from gengan_jax.train.experiment import Experiment
from gengan_jax.train.loop import train
from gengan_jax.train.mesh import (batch_sharding, make_mesh, replicated, shard_step)

__all__ = ["Checkpointer", "Experiment", "train", "batch_sharding", "make_mesh",
           "replicated", "shard_step"]
