import pytest
import torch
from ignite.engine import Engine, Events

from medrestore.handlers import TemperatureAnnealingHandler
from medrestore.layers import DynamicConv2d
from medrestore.networks import DRAN


def test_anneals_every_dynamic_conv_once_per_epoch():
    net = DRAN(channels=8, num_blocks=2, layers_per_block=2)
    engine = Engine(lambda e, b: None)
    handler = TemperatureAnnealingHandler(net, start=30.0, end=2.0, epochs=4)
    handler.attach(engine)
    seen = []
    engine.add_event_handler(Events.EPOCH_STARTED, lambda e: seen.append(net.blocks[1].body[0].temperature.item()))
    engine.run([0], max_epochs=6)
    assert seen == pytest.approx([30.0, 23.0, 16.0, 9.0, 2.0, 2.0])
    temps = {m.temperature.item() for m in net.modules() if isinstance(m, DynamicConv2d)}
    assert temps == {2.0}


def test_temperature_is_saved_with_the_weights():
    net = DRAN(channels=8, num_blocks=1, layers_per_block=1)
    engine = Engine(lambda e, b: None)
    engine.state.epoch = 5
    TemperatureAnnealingHandler(net, start=30.0, end=1.0, epochs=1)(engine)
    other = DRAN(channels=8, num_blocks=1, layers_per_block=1)
    other.load_state_dict(net.state_dict())
    assert other.blocks[0].body[0].temperature.item() == 1.0
    x = torch.rand(1, 1, 8, 8)
    torch.testing.assert_close(other(x), net(x))
