"""The core: events, agents, tools, teams, runs and their state. Imports nothing above it."""
