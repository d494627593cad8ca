"""The daily run at scale: features frame, vectorized rules, partitioning, executors."""
