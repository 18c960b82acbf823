"""Training the embedded default models: tokenizer, data from our trace writers, and the trainer."""
