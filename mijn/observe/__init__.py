"""What Mijn tells its operators: health checks, metrics for Prometheus and the log."""
