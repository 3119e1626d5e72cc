"""What only the offline runner (local_voice.py) and developers use: the voice engine, the
typed-text matcher, the lint, the interaction-model builder, the envelope builder and the
developer-mode server. The webhook never imports this package (a test holds it to that)."""
