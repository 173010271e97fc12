from medrestore.handlers import latest_checkpoint


def test_latest_checkpoint_by_epoch_number(tmp_path):
    assert latest_checkpoint(str(tmp_path)) is None
    for name in ("checkpoint_epoch=2.pt", "checkpoint_epoch=10.pt", "checkpoint_epoch=9.pt", "model.pt"):
        (tmp_path / name).write_bytes(b"")
    assert latest_checkpoint(str(tmp_path)).endswith("checkpoint_epoch=10.pt")
