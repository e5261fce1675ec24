"""Analytics: event logging, metrics, dashboard and reports, knowledge gaps, aggregates."""
