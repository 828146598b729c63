"""Code execution: agents run the Python a model writes, in a separate Jupyter kernel, after approval.

``run_python = code_executor()`` makes the tool; give it to an agent (``Agent(tools=[run_python])``)
in a team with a `Human` or an ``approver=`` function. See `agentnb.execution.tool`.
"""

from agentnb.execution.environment import sandbox_environment
from agentnb.execution.sandbox import Execution, Sandbox, SandboxError
from agentnb.execution.tool import CodeExecutor, code_executor

__all__ = ["CodeExecutor", "Execution", "Sandbox", "SandboxError", "code_executor", "sandbox_environment"]
