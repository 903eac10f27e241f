"""The whole service: the demo, the landing page, logs, several processes, the benchmark."""
