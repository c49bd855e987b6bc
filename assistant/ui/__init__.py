"""The operator web UI (Gradio)."""
