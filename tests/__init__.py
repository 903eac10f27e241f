"""cxbot's tests, in folders by kind; shared helpers in tests/support, fixtures in conftest.py."""
