"""Moved to `agentnb.core.secrets` (one rule for secrets, at the bottom layer); names kept for old imports."""

from agentnb.core.secrets import PATTERNS, REDACTED, Scrubber, model_secrets, sensitive_headers

__all__ = ["PATTERNS", "REDACTED", "Scrubber", "model_secrets", "sensitive_headers"]
