"""Flax Linen networks: MLPs, DCGAN-style conv nets (also DCGAN-tensorflow's,
:mod:`.dcgan_tensorflow`), the alpha-GAN code
discriminator, InfoGAN's discriminator with a Q head, auto-encoder
discriminators (EBGAN, BEGAN), Gaussian encoders and decoders with a
likelihood head (the VAE family), Real NVP flows (:mod:`.real_nvp`: ``forward``,
``inverse``, ``log_prob``, ``sample``), and factories that pick one by
architecture name.

Every module is configured by its dataclass fields, holds no training logic,
and is called as ``module.apply(variables, x, train=...)``: ``train`` toggles
batch norm (``use_running_average=not train``; pass
``mutable=["batch_stats"]`` when ``train=True`` on a network with BN) and is
ignored by networks without BN. Discriminators and critics return one logit
or score per example, shape ``[B]``.
"""

from gengan_jax.nets.autoencoder import DCGANAutoEncoder
from gengan_jax.nets.autoencoder import MLPAutoEncoder
from gengan_jax.nets.classifier import MNISTClassifier
from gengan_jax.nets.code_discriminator import CodeDiscriminator
from gengan_jax.nets.dcgan import DCGANDiscriminator
from gengan_jax.nets.dcgan import DCGANEncoder
from gengan_jax.nets.dcgan import DCGANGenerator
from gengan_jax.nets.dcgan_tensorflow import TFDCGANDiscriminator
from gengan_jax.nets.dcgan_tensorflow import TFDCGANEncoder
from gengan_jax.nets.dcgan_tensorflow import TFDCGANGenerator
from gengan_jax.nets.info_head import DCGANInfoDiscriminator
from gengan_jax.nets.info_head import MLPInfoDiscriminator
from gengan_jax.nets.info_head import make_info_discriminator
from gengan_jax.nets.implicit_encoder import ImplicitEncoder
from gengan_jax.nets.implicit_encoder import make_implicit_encoder
from gengan_jax.nets.joint_discriminator import JointDiscriminator
from gengan_jax.nets.joint_discriminator import make_joint_discriminator
from gengan_jax.nets.factory import make_autoencoder
from gengan_jax.nets.factory import make_decoder
from gengan_jax.nets.factory import make_discriminator
from gengan_jax.nets.factory import make_encoder
from gengan_jax.nets.factory import make_gaussian_encoder
from gengan_jax.nets.factory import make_generator
from gengan_jax.nets.factory import make_real_nvp
from gengan_jax.nets.likelihood_heads import GaussianEncoder
from gengan_jax.nets.likelihood_heads import LikelihoodDecoder
from gengan_jax.nets.mlp import MLP
from gengan_jax.nets.mlp import MLPDiscriminator
from gengan_jax.nets.mlp import MLPEncoder
from gengan_jax.nets.mlp import MLPGenerator
from gengan_jax.nets.real_nvp import MultiScaleRealNVP
from gengan_jax.nets.real_nvp import RealNVP
from gengan_jax.nets.vq import Codebook
from gengan_jax.nets.vq import VQEncoder
from gengan_jax.nets.vq import make_vq_encoder

__all__ = [
    "Codebook",
    "CodeDiscriminator",
    "DCGANAutoEncoder",
    "DCGANDiscriminator",
    "DCGANEncoder",
    "DCGANGenerator",
    "DCGANInfoDiscriminator",
    "GaussianEncoder",
    "ImplicitEncoder",
    "JointDiscriminator",
    "LikelihoodDecoder",
    "MLP",
    "MLPAutoEncoder",
    "MLPDiscriminator",
    "MLPEncoder",
    "MLPGenerator",
    "MLPInfoDiscriminator",
    "MNISTClassifier",
    "VQEncoder",
    "MultiScaleRealNVP",
    "RealNVP",
    "TFDCGANDiscriminator",
    "TFDCGANEncoder",
    "TFDCGANGenerator",
    "make_autoencoder",
    "make_decoder",
    "make_discriminator",
    "make_encoder",
    "make_gaussian_encoder",
    "make_generator",
    "make_real_nvp",
    "make_info_discriminator",
    "make_implicit_encoder",
    "make_joint_discriminator",
    "make_vq_encoder",
]
