"""Re-export of :class:`pyqgd.problem.QuadraticMap` (the map is defined next to :class:`pyqgd.problem.GDProblem`, upstream
of the Carleman layer, so that the producers of a map do not import its consumer)."""

from pyqgd.problem import QuadraticMap

__all__ = ["QuadraticMap"]
