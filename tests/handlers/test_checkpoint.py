import pytest
import torch
from ignite.engine import Engine

from medrestore.handlers import CheckpointLoader


def test_missing_checkpoint_is_reported_when_loading_not_when_configured(tmp_path):
    net = torch.nn.Linear(2, 2)
    loader = CheckpointLoader(str(tmp_path / "model.pt"), {"model": net})  # --load_pretrain false never calls it
    with pytest.raises(FileNotFoundError, match=r"model.pt does not exist; train the bundle .*--ckpt_dir"):
        loader(Engine(lambda e, b: None))


def test_checkpoint_of_another_network_names_the_file(tmp_path):
    torch.save(torch.nn.Linear(3, 2).state_dict(), tmp_path / "other.pt")
    loader = CheckpointLoader(str(tmp_path / "other.pt"), {"model": torch.nn.Linear(2, 2)})
    with pytest.raises(RuntimeError, match="other.pt does not fit the network"):
        loader(Engine(lambda e, b: None))
