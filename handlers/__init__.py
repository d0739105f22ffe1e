"""Platform-neutral use cases. Nothing here may import a chat-platform library."""
