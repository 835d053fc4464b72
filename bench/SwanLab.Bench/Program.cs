// Placeholder entry point; the benchmarks issue replaces it.
return 0;
