"""Identity queries, one module per aggregate. The only place identity SQL lives."""
