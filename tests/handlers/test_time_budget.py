import time

from ignite.engine import Engine

from medrestore.handlers import TimeBudget


def test_stops_after_the_budget_and_none_disables_it():
    def step(engine, batch):
        time.sleep(0.01)

    engine = Engine(step)
    TimeBudget(0.05).attach(engine)
    engine.run(range(100), max_epochs=5)
    assert 1 <= engine.state.iteration < 50
    free = Engine(step)
    TimeBudget(None).attach(free)
    free.run(range(3), max_epochs=2)
    assert free.state.iteration == 6
