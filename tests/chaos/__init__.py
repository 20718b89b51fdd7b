"""The fault suite (issue 7 §3): parts of a running cloud killed -9 or restarted mid-work.

``test_process_faults.py``: the separate-process deployment (API, conductor, scheduler, two
``--virt fake`` agents over RabbitMQ and PostgreSQL), 20 creates (or 10 deletes / resizes in
flight) with one part killed; ``test_all_in_one.py``: ``stratus up`` killed -9 mid-boot and
started again; ``test_guests.py``: a real QEMU guest runs on through control-plane kills.
Every test adds a row to the fault table printed at the end and written to
``artifacts/chaos-report.md``; a failed test's process logs are kept in
``artifacts/chaos-logs/``.

    pytest tests/chaos -m chaos_smoke    # the subset make test runs
    pytest tests/chaos -m chaos          # all of it (make chaos)
"""
