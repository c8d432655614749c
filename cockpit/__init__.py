"""The event cockpit: one page per event with its timeline, what blocks each stage, the action
that moves it on, and its charts. It reads every other package through their bulk reads and owns
no table: the top layer."""
