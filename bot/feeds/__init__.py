"""Live sources: subscribed RSS/Atom feeds, polled on a schedule, and single pages by URL."""
