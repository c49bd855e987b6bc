"""Skills: one module per family of questions, each turning a routed question into tool calls and an answer."""
