"""The messaging domain: conversations, messages, sessions and their rules."""
