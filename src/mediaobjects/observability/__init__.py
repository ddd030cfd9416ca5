"""What an operator runs the service with: ``/health`` and ``/ready``, Prometheus metrics at
``/metrics`` (and on ``mediaobjects worker --metrics-port``), structured logs, and the request
id that ties a request's log lines to those of the jobs it queued."""
