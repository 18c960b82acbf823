"""reasonbench: which reasoning strategy wins at a fixed budget?"""

__version__ = "0.1.0"
