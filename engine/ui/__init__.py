"""Front ends: the rich/prompt_toolkit terminal interface and the plain mode, over one Session."""
