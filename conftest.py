"""Root conftest: the tests drive pytest itself through the pytester fixture."""

pytest_plugins = ["pytester"]
