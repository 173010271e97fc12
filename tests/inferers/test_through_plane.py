import numpy as np
import torch
from monai.data import MetaTensor

from medrestore.inferers import ThroughPlaneInferer, volume_planes
from medrestore.physics.resolution import upsample_axis


def test_identity_network_gives_interpolation_along_the_slice_axis_only():
    x = MetaTensor(torch.rand(1, 1, 10, 12, 5), affine=torch.diag(torch.tensor([1.0, 1.0, 3.0, 1.0])))
    out = ThroughPlaneInferer(scale=3, slice_axis=2, progress=False)(x, lambda t: t)
    assert out.shape == (1, 1, 10, 12, 15)
    expected = upsample_axis(x[0, 0].as_tensor().permute(0, 2, 1), 3, axis=-2).permute(0, 2, 1)
    torch.testing.assert_close(out[0, 0].as_tensor(), expected)
    assert isinstance(out, MetaTensor) and np.allclose(np.asarray(out.affine), np.asarray(x.affine))  # for Invertd


def test_both_plane_orientations_are_averaged_and_the_slice_direction_is_the_rows():
    seen = []

    def net(t):
        seen.append(tuple(t.shape[-2:]))
        return t

    ThroughPlaneInferer(scale=2, slice_axis=0, sw_batch_size=100, progress=False)(torch.rand(1, 1, 4, 6, 7), net)
    assert seen == [(8, 7), (8, 6)]  # planes across y (rows: x upsampled, columns: z), then across z


def test_training_planes_are_perpendicular_to_the_slice_axis_without_background():
    vol = torch.rand(1, 8, 9, 4)
    vol[..., 0] = 0.5  # a constant (background) plane
    planes = volume_planes(vol, slice_axis=2)
    assert len(planes) == 3 and planes[0]["label"].shape == (1, 8, 9)
