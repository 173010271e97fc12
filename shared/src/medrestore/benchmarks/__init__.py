"""Benchmarks that print figures and write them to ``docs/benchmarks`` (optional extras needed:
``pip install -r requirements-benchmark.txt``)."""
