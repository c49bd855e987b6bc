"""The assistant's tools in a LangChain tool-calling loop, driven by a model double that emits fixed tool calls."""

from __future__ import annotations

import json
from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

import tools
from assistant.config import EndpointSettings, Settings


async def test_tools_run_in_a_langchain_loop(other_plant: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, opcua={"endpoints": [EndpointSettings(url=other_plant)]})
    lc_tools = {t.name: t for t in tools.langchain_tools(settings)}
    assert {"opcua_find_assets", "opcua_read_value", "opcua_read_history", "opcua_active_alarms"} <= set(lc_tools)
    assert lc_tools["opcua_read_value"].args_schema.model_json_schema()["required"] == ["asset", "signal"]

    scripted = iter([
        AIMessage(content="", tool_calls=[{"name": "opcua_find_assets", "args": {"query": "Kompressor K2"},
                                           "id": "1"}]),
        AIMessage(content="", tool_calls=[
            {"name": "opcua_read_value", "args": {"asset": "K2", "signal": "Druck"}, "id": "2"},
            {"name": "opcua_read_value", "args": {"asset": "P-999", "signal": "pressure"}, "id": "3"},
        ]),
        AIMessage(content="K2 steht bei 7,05 bar."),
    ])  # fmt: skip
    model = GenericFakeChatModel(messages=scripted)
    messages: list = [HumanMessage("Wie hoch ist der Druck am Kompressor K2?")]
    while True:
        reply = await model.ainvoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            out = await lc_tools[call["name"]].ainvoke(call["args"])
            messages.append(ToolMessage(json.dumps(out, default=str), tool_call_id=call["id"]))

    results = {m.tool_call_id: json.loads(m.content) for m in messages if isinstance(m, ToolMessage)}
    assert results["1"][0]["asset"] == "Kompressor K2"
    assert results["2"]["value"] == 7.05 and results["2"]["unit"] == "bar" and results["2"]["good"]
    assert results["3"] == {"error": "no asset matches 'P-999'"}
    assert messages[-1].content == "K2 steht bei 7,05 bar."
