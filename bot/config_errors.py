"""The one exception type for bad configuration.

Start-up code catches ``ConfigError`` and prints ``str(error)``: a single line that names the offending
environment variable, never a traceback and never the variable's value (it may be a secret).
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A missing, malformed or contradictory setting.

    ``variable`` is the environment variable to fix; ``str()`` is one line that starts with it.
    """

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = " ".join(problem.split())  # force a single line
        super().__init__(f"{variable}: {self.problem}")
