"""Adversarial training for image-to-image tasks (super-resolution, translation) on MONAI's engines."""

from __future__ import annotations

from ignite.engine import Engine
from monai.engines import AdversarialTrainer
from monai.utils import AdversarialIterationEvents, AdversarialKeys
from monai.utils import CommonKeys as Keys

__all__ = ["ImageToImageAdversarialTrainer"]


class ImageToImageAdversarialTrainer(AdversarialTrainer):
    """``monai.engines.AdversarialTrainer`` whose discriminator learns the *targets* as real.

    MONAI's trainer stores the input batch as ``AdversarialKeys.REALS``; for super-resolution the
    inputs are low-resolution images, and the discriminator would learn those as real (and see a
    different size). After the generator step (``GENERATOR_MODEL_COMPLETED``) this trainer puts the
    batch's targets (``label``, the high-resolution images) in ``REALS``, so the discriminator step
    compares targets with generated images. Everything else (handlers, MLflow, checkpoints of both
    networks and optimisers, resume, DDP-wrapped networks) is MONAI's.

    The engine's own ``state_dict`` keeps the counters only: MONAI adds the networks, optimisers and
    losses *themselves* to it, which pickles whole modules (DDP wrappers included) into every
    checkpoint, so that a checkpoint neither loads with ``weights_only`` nor outside a process group.
    Save their state dicts through the checkpoint handler instead (``medrestore.handlers.ResumableCheckpoint``).

    Shapes: ``image (B, C, h, w)`` -> generator -> ``(B, C, H, W)``; ``label (B, C, H, W)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._state_dict_user_keys.clear()
        self.add_event_handler(AdversarialIterationEvents.GENERATOR_MODEL_COMPLETED, self._targets_are_real)

    @staticmethod
    def _targets_are_real(engine: Engine) -> None:
        engine.state.output[AdversarialKeys.REALS] = engine.state.output[Keys.LABEL]
