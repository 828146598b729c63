"""A2A: remote agents as participants (`RemoteAgent`), and a team as an A2A agent (`serve`).

``Team([writer, RemoteAgent("http://127.0.0.1:8001/")])`` puts an agent of any framework in
a team; ``serve(team, port=8001)`` or ``agentnb a2a serve my_module:team`` offers a team to
any A2A client. Needs the ``a2a`` extra.
"""

from agentnb.protocols.a2a.background import BackgroundServer, serve_in_background
from agentnb.protocols.a2a.remote import RemoteAgent
from agentnb.protocols.a2a.serve import agent_card, as_a2a_app, serve

__all__ = ["BackgroundServer", "RemoteAgent", "agent_card", "as_a2a_app", "serve", "serve_in_background"]
