"""`python3 tools/runtimes/python module.function` runs the bootstrap beside this file."""
import os
import runpy

runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap"),
               run_name="__main__")
