"""Demo data generator: a realistic, seeded business in the raw tables (see :mod:`lifecycle.demo.generator`)."""

from lifecycle.demo.generator import DemoConfig, generate, write_demo

__all__ = ["DemoConfig", "generate", "write_demo"]
