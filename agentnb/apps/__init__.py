"""Applications built on agentnb: the command line, the demo, the course launcher."""
