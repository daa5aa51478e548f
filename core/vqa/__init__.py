"""Visual question answering: tokenizer, models, data and the chat session (course VQA report)."""
