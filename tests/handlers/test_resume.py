import pytest
import torch
from ignite.engine import Engine, Events

from medrestore.handlers import AtomicCheckpointSaver, ResumableCheckpoint, latest_checkpoint


def test_latest_checkpoint_by_epoch_number(tmp_path):
    assert latest_checkpoint(str(tmp_path)) is None
    for name in ("checkpoint_epoch=2.pt", "checkpoint_epoch=10.pt", "checkpoint_epoch=9.pt", "model.pt"):
        (tmp_path / name).write_bytes(b"")
    assert latest_checkpoint(str(tmp_path)).endswith("checkpoint_epoch=10.pt")


def _engine_with_net(epochs_data=2):
    net = torch.nn.Linear(2, 1)
    engine = Engine(lambda e, b: None)
    return engine, net, [0] * epochs_data


def test_checkpoints_are_whole_and_only_the_newest_is_kept(tmp_path):
    engine, net, data = _engine_with_net()
    ResumableCheckpoint(str(tmp_path), {"network": net}).attach(engine)
    engine.run(data, max_epochs=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint_epoch=3.pt"]
    state = torch.load(tmp_path / "checkpoint_epoch=3.pt", weights_only=False)
    assert torch.equal(state["network"]["weight"], net.weight.detach()) and state["trainer"]["iteration"] == 6


def test_a_save_killed_midway_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    engine, net, data = _engine_with_net()
    handler = ResumableCheckpoint(str(tmp_path), {"network": net})
    handler.attach(engine)
    engine.run(data, max_epochs=1)
    real_save = torch.save

    def dies_while_writing(obj, f, *args, **kwargs):
        with open(f, "wb") as out:
            out.write(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt  # the process is stopped in the middle of the write

    monkeypatch.setattr(torch, "save", dies_while_writing)
    engine.state.epoch = 2
    with pytest.raises(KeyboardInterrupt):
        handler.save(engine)
    monkeypatch.setattr(torch, "save", real_save)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint_epoch=1.pt"]  # no partial file
    torch.load(tmp_path / "checkpoint_epoch=1.pt", weights_only=False)


def test_an_unreadable_checkpoint_is_named_with_the_way_out(tmp_path):
    (tmp_path / "checkpoint_epoch=4.pt").write_bytes(b"truncated")
    engine, net, data = _engine_with_net()
    ResumableCheckpoint(str(tmp_path), {"network": net}).attach(engine)
    with pytest.raises(RuntimeError, match=r"checkpoint_epoch=4.pt cannot be read .*--resume false"):
        engine.run(data, max_epochs=5)


def test_best_model_file_survives_a_failed_save(tmp_path, monkeypatch):
    net = torch.nn.Linear(2, 1)
    evaluator = Engine(lambda e, b: None)
    scores = iter([1.0, 2.0])

    @evaluator.on(Events.EPOCH_COMPLETED)
    def _metric(engine):
        engine.state.metrics["val"] = next(scores)

    AtomicCheckpointSaver(
        str(tmp_path), {"model": net}, save_key_metric=True, key_metric_name="val", key_metric_filename="model.pt"
    ).attach(evaluator)
    evaluator.run([0], max_epochs=1)
    saved = torch.load(tmp_path / "model.pt")
    monkeypatch.setattr(torch, "save", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with torch.no_grad():
        net.weight.add_(1.0)
    with pytest.raises(KeyboardInterrupt):
        evaluator.run([0], max_epochs=2)  # a better score: the save of the new best is interrupted
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("tmp")] == ["model.pt"]
    assert torch.equal(torch.load(tmp_path / "model.pt")["weight"], saved["weight"])
