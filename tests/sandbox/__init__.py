"""The sandbox itself: its documented rules, its control API, its chat page's data."""
