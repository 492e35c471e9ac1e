"""Demo data generator: a realistic, seeded business in the raw tables (see :mod:`ingestion.demo.generator`)."""

from ingestion.demo.generator import DemoConfig, generate, window, write_demo, write_demo_schema

__all__ = ["DemoConfig", "generate", "window", "write_demo", "write_demo_schema"]
