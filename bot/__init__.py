"""newsdesk's answering side: settings, retrieval, answers, rendering, CLI and Telegram."""
