"""The LLM provider layer: an OpenAI-compatible client, reply schema, prompt templates."""
