"""Agents: list, inspect, force apoptosis."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from phago.server.auth import AdminTenant, ReadTenant
from phago.server.routes._common import ERRORS, NOT_FOUND
from phago.server.schemas import AgentOut, ApoptosisOut

router = APIRouter(prefix="/api/agents", tags=["agents"], responses=ERRORS)

AgentId = Annotated[int, Path(ge=0, le=2**62, description="An agent id.")]


@router.get("", summary="Living agents")
def list_agents(tenant: ReadTenant) -> list[AgentOut]:
    cap = tenant.colony.settings.agents.max_energy
    return [AgentOut.of(a, cap) for a in sorted(tenant.colony.agents(), key=lambda a: a.id)]


@router.get("/{agent_id}", responses=NOT_FOUND, summary="One agent: position, energy, age, vocabulary")
def get_agent(agent_id: AgentId, tenant: ReadTenant) -> AgentOut:
    return AgentOut.of(tenant.colony.agent(agent_id), tenant.colony.settings.agents.max_energy)


@router.post("/{agent_id}/apoptosis", responses=NOT_FOUND, summary="Force an agent's apoptosis (admin)")
def apoptosis(agent_id: AgentId, tenant: AdminTenant) -> ApoptosisOut:
    tenant.colony.kill_agent(agent_id)
    return ApoptosisOut(agent_id=agent_id, died=True)
