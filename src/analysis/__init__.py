"""runeco: did the strength work make this runner more economical?

The import package is ``analysis``; the console script is ``runeco``.
Data flows one way: io -> physiology / strength -> metrics -> blocks ->
models -> plots -> report -> cli.
"""

__version__ = "0.1.0"
