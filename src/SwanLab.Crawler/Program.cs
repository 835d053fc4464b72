// Placeholder entry point; the crawler issue replaces it.
return 0;
