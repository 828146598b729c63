"""Code execution: agents run the Python a model writes, in a separate Jupyter kernel, after approval.

``run_python = code_executor()`` makes the tool; give it to an agent (``Agent(tools=[run_python])``)
in a team with a `Human` or an ``approver=`` function. See `agentnb.execution.tool`; the
kernel's isolation (bubblewrap on Linux) is `agentnb.execution.isolation`.
"""

from agentnb.execution.environment import sandbox_environment
from agentnb.execution.isolation import IsolationUnavailable, Limits, SandboxError
from agentnb.execution.sandbox import Execution, Sandbox
from agentnb.execution.tool import CodeExecutor, code_executor

__all__ = [
    "CodeExecutor",
    "Execution",
    "IsolationUnavailable",
    "Limits",
    "Sandbox",
    "SandboxError",
    "code_executor",
    "sandbox_environment",
]
