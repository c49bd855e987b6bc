"""The operator web UI (Gradio): chat with the plant, with the evidence of each answer beside it."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.agent import Agent
from assistant.config import Settings
from assistant.errors import OperatorError


def build_app(settings: Settings) -> gr.Blocks:
    agent = Agent(settings)

    async def respond(message: str, history: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]], Any]:
        history = list(history or [])
        history.append({"role": "user", "content": message})
        try:
            result = await agent.ask(message)
            history.append({"role": "assistant", "content": result.answer})
            evidence: Any = result.model_dump(mode="json")
        except OperatorError as exc:
            history.append({"role": "assistant", "content": f"⚠ {exc.message}"})
            evidence = {"error": exc.message}
        return "", history, evidence

    with gr.Blocks(title="IIoT Assistant") as ui:
        gr.Markdown("# IIoT Assistant\nAsk about your plant — in your language.")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=480)
                question = gr.Textbox(label="Question", placeholder="What is the current temperature of pump P-101?")
                with gr.Row():
                    send = gr.Button("Ask", variant="primary")
                    clear = gr.Button("New conversation")
            with gr.Column(scale=2):
                evidence = gr.JSON(label="Evidence (tool calls and sources)")
        send.click(respond, [question, chat], [question, chat, evidence])
        question.submit(respond, [question, chat], [question, chat, evidence])
        clear.click(lambda: ([], None), None, [chat, evidence])
    return ui


def launch(settings: Settings) -> None:
    ui = build_app(settings)
    print(f"IIoT Assistant UI at http://{settings.ui.host}:{settings.ui.port}", flush=True)
    ui.queue(default_concurrency_limit=4).launch(
        server_name=settings.ui.host,
        server_port=settings.ui.port,
        show_error=True,
        share=False,
    )
