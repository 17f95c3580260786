"""Static analysis of a function's code: symbols, the definition graph, routes and their reach."""
