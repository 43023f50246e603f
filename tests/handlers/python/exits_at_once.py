"""A program that ends before it ever asks for an event (Runtime.ExitError)."""
import sys

print("bye")
sys.exit(2)
