"""The event pipeline: identify, rules, actions, segments, commit."""
