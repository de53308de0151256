"""An MCP server over one colony: five tools and two resources, built on the official SDK's ``MCPServer``.

Tools: ``remember``, ``recall``, ``explore``, ``forget``, ``feedback`` (see :mod:`phago.mcp.tools`).
Resources: ``phago://stats`` (the colony's statistics) and the template ``phago://concepts/{label}``
(a concept and its strongest neighbours). Both are JSON. Completion of concept labels,
subscriptions and logging are added by :mod:`phago.mcp.protocol`.

The server does not own the colony: whoever opens it closes it (``phago mcp`` does, on shutdown).
"""

from __future__ import annotations

from typing import Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp_types import ToolAnnotations

from phago._version import __version__
from phago.facade import Colony
from phago.mcp import wire
from phago.mcp.errors import resource_errors
from phago.mcp.protocol import CONCEPT_TEMPLATE, STATS_URI, install
from phago.mcp.tools import ColonyTools

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
NAME = "phago"
NEIGHBOURS = 20
INSTRUCTIONS = (
    "Phago is a self-organising memory. `remember` stores text; `recall` finds the passages that answer a "
    "question and explains why; `explore` walks the concept graph the memories formed; `feedback` tells "
    "the memory which passages helped; `forget` removes a memory. Read phago://stats for the colony's "
    "size and phago://concepts/{label} for a concept's neighbourhood."
)


def build_server(colony: Colony, *, log_level: LogLevel = "WARNING") -> MCPServer[Any]:
    """An ``MCPServer`` whose tools and resources serve ``colony``."""
    bus = InMemorySubscriptionBus()
    server: MCPServer[Any] = MCPServer(
        NAME,
        title="Phago memory",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level=log_level,
        subscriptions=bus,
    )
    tools = ColonyTools(colony)
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
    server.add_tool(
        tools.remember,
        title="Remember",
        annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True, open_world_hint=False),
    )
    server.add_tool(tools.recall, title="Recall", annotations=read_only)
    server.add_tool(tools.explore, title="Explore the concept graph", annotations=read_only)
    server.add_tool(
        tools.forget,
        title="Forget",
        annotations=ToolAnnotations(destructive_hint=True, idempotent_hint=False, open_world_hint=False),
    )
    server.add_tool(
        tools.feedback,
        title="Feedback",
        annotations=ToolAnnotations(destructive_hint=False, open_world_hint=False),
    )

    @server.resource(
        STATS_URI,
        name="stats",
        title="Colony statistics",
        mime_type="application/json",
        description="Documents, passages, concepts, edges, agents and the tick of the colony.",
    )
    def stats() -> str:
        with resource_errors():
            return wire.stats(colony.stats()).model_dump_json()

    @server.resource(
        CONCEPT_TEMPLATE,
        name="concept",
        title="Concept neighbourhood",
        mime_type="application/json",
        description=f"A concept and its {NEIGHBOURS} strongest neighbours in the Hebbian graph.",
    )
    def concept(label: str) -> str:
        with resource_errors():
            found = colony.concept(label)
            return wire.neighbourhood(found, colony.neighbours(label, NEIGHBOURS)).model_dump_json()

    install(server, colony, bus)
    return server
