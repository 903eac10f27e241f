"""Configuration from the CXBOT_* environment variables (names and defaults fixed by DESIGN.md).

Everything is read once into a frozen `Settings` (pydantic-settings), whose validators
refuse a value that cannot work (a URL without a scheme, a key that is not a PEM, a
thread count below zero), whether it came from the environment or from code. `review()`
then adds what is missing for a whole deployment (`check()`), so an operator sees every
problem at once, one line per variable, and fixes a deployment in one pass.

Every secret is a `SecretStr`: printing the settings, logging them or a refusal shows
`**********`; the value is read with `.get_secret_value()` only where it is used.
"""

from cxbot.config.review import Review, check, describe, load, load_checked, review, to_environ
from cxbot.config.settings import KEY_FILE_VAR, PREFIX, SECRET_VARS, ConfigError, Settings, env_name

__all__ = ["KEY_FILE_VAR", "PREFIX", "SECRET_VARS", "ConfigError", "Review", "Settings", "check", "describe",
           "env_name", "load", "load_checked", "review", "to_environ"]
