"""Small MCP servers that ship with agentnb, for lessons and the README: they run offline."""
